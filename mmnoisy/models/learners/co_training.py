"""``CoTrainingLearner``: the machinery every two-network method shares.

Two networks (``net1``, ``net2``; each a :class:`~mmnoisy.models.NoisyClassifier`) with one
optimizer each (``OptimWrapperDict`` from ``CoTrainingOptimWrapperConstructor``). An
iteration of ``train_step`` runs warm-up (plain CE on the first view; plus the negative
entropy penalty for asymmetric noise) until ``warmup_epochs``, then the method's step, which
subclasses implement in :meth:`method_step`. By default both networks are updated on the same
batch in every iteration, first net1 (its peer is net2), then net2 (its peer is the updated
net1); DivideMix, UNICON and VRLVMix also take the batches of ``CoTrainingBatchSampler``
(each network its own labelled and unlabelled streams, the authors' batching).

What is per sample and lives outside the batch (the GMM confidence, a labelled set, ...) comes
from a selection hook once per epoch through :class:`~mmnoisy.models.interfaces.TakesSelection`:
``selection(name)`` is the :class:`~mmnoisy.models.interfaces.Selection` *network ``name``
trains with*, tables indexed by ``sample_idx`` (``GMMConfidenceHook(co_divide=True)`` computes
its ``trust`` from the peer's losses: co-divide). A learner declares in ``consumes`` the
tables its step reads; the hooks check it at start-up.

Distributed: the networks are called through ``self.net1`` / ``self.net2``, which
``MMSeparateDistributedDataParallel`` replaces by DDP wrappers, so each network's gradients
are synchronised by its own ``update_params``. Each network runs exactly one forward with
gradient per update (views are concatenated), as DDP requires.

Testing and validation use the mean of both networks' softmax outputs, or the softmax of the
sum of their logits (``test_mode='logits_sum'``, the DivideMix / UNICON configs).
"""
import copy

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmpretrain.structures import DataSample

from mmnoisy.utils.models import unwrap
from mmnoisy.models.interfaces import RecordsSamples, TakesSelection
from mmnoisy.models.losses import negative_entropy
from mmnoisy.models.plugins import aux_loss_terms, build_aux_losses
from mmnoisy.registry import MODELS

NETWORKS = ('net1', 'net2')
TEST_MODES = ('mean', 'logits_sum') + NETWORKS


def take_rows(x, mask):
    """The rows of ``x`` where the host (CPU) bool ``mask`` is true, in order, as ``x[mask]``
    gives them: the indices are found on the host, so a GPU ``x`` is not waited for (indexing
    with a device mask reads its count back from the GPU, a sync per call)."""
    return x.index_select(0, mask.nonzero().squeeze(1).to(x.device))


def stream_codes(samples):
    """The stream code of each row (a host LongTensor) when the batch comes from
    ``CoTrainingBatchSampler``, else None."""
    codes = [s.metainfo.get('stream') for s in samples]
    if not codes or codes[0] is None:
        return None
    if any(c is None for c in codes):
        raise ValueError('a batch mixes rows with and without a stream code')
    return torch.as_tensor(codes, dtype=torch.long)


def network_rows(streams, name):
    """Host mask of the rows of network ``name`` in a two-stream batch (codes 2k and 2k + 1
    for network k), or None (every row) without streams."""
    if streams is None:
        return None
    k = NETWORKS.index(name)
    return (streams == 2 * k) | (streams == 2 * k + 1)


def option_dict(value, known, what):
    """A copy of the option dict ``value`` after refusing keys outside ``known`` (an option
    the learner would otherwise ignore)."""
    value = dict(value)
    unknown = set(value) - set(known)
    if unknown:
        raise ValueError(f'unknown keys in {what}: {sorted(unknown)}; known: {tuple(known)}')
    return value


@MODELS.register_module()
class CoTrainingLearner(BaseModel, RecordsSamples, TakesSelection):
    """Base of the two-network learners.

    Args:
        network (dict): config of one network (a ``NoisyClassifier``: backbone, neck,
            head); two are built from it with different random initialisations.
        networks (list[dict]): two network configs instead of ``network``.
        warmup_epochs (int): epochs of plain CE before the method starts.
        warmup_neg_entropy (bool): add the negative-entropy penalty during warm-up (the
            papers' setting for asymmetric noise).
        test_mode (str): 'mean' (average of both softmaxes), 'logits_sum' (softmax of the sum
            of both networks' logits: the DivideMix / UNICON code's test, ``outputs1 +
            outputs2``), 'net1' or 'net2'.
        aux_losses (list[dict]): plug-in losses on each network's features (e.g.
            ``dict(type='NegScale', taxonomy='cifar10')``), added to the method phase's loss
            of each network; which forward's features they see is said by each learner.
        data_preprocessor (dict): type defaults to ``MultiViewDataPreprocessor`` (the
            config's top-level ``data_preprocessor`` is used when the model has none).
    """
    networks = NETWORKS
    record_nets = NETWORKS
    #: whether the training forward can write the per-sample record (mode='online'): no, the
    #: record of a two-network learner comes from SampleRecordHook's pass (mode='pass')
    records_online = False
    #: views of each sample the method phase needs (1: a single view)
    num_views = 1
    #: the Selection tables the method phase reads (the GMM confidence)
    consumes = frozenset({'trust'})
    #: the hook that computes them (named in messages)
    selection_hook = 'GMMConfidenceHook'
    #: whether the learner takes labelled / unlabelled streams (CoTrainingBatchSampler)
    two_stream = False

    def __init__(self, network=None, networks=None, warmup_epochs=0, warmup_neg_entropy=False,
                 test_mode='mean', aux_losses=None, data_preprocessor=None, init_cfg=None):
        data_preprocessor = dict(data_preprocessor or {})
        data_preprocessor.setdefault('type', 'MultiViewDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if (network is None) == (networks is None):
            raise ValueError('give exactly one of network (one config, built twice) and '
                             'networks (a list of two configs)')
        if networks is None:
            networks = [network, network]
        if not isinstance(networks, (list, tuple)) or len(networks) != 2:
            n = len(networks) if isinstance(networks, (list, tuple)) else 1
            raise ValueError(f'a co-training learner trains two networks; got {n} network '
                             'config(s)')
        if int(warmup_epochs) < 0:
            raise ValueError(f'warmup_epochs must be >= 0, got {warmup_epochs}')
        if test_mode not in TEST_MODES:
            raise ValueError(f'test_mode must be one of {TEST_MODES}, got {test_mode!r}')
        for name, cfg in zip(NETWORKS, networks):
            cfg = copy.deepcopy(dict(cfg))
            cfg.setdefault('type', 'NoisyClassifier')
            self.add_module(name, MODELS.build(cfg))
        classes = {getattr(getattr(self, n), 'head').num_classes for n in NETWORKS}
        if len(classes) != 1:
            raise ValueError(f'the two networks have different num_classes: {sorted(classes)}')
        self.num_classes = classes.pop()
        self.aux_losses = build_aux_losses(aux_losses, self.num_classes)
        self.warmup_epochs = int(warmup_epochs)
        self.warmup_neg_entropy = bool(warmup_neg_entropy)
        self.test_mode = test_mode
        self.sample_record = None
        self.record_online = False
        # set by CoTrainingHook before each epoch / iteration
        self.epoch, self.progress, self.seed = 0, 0.0, 0
        self._iter = 0

    # ------------------------------------------------------------------------------- state
    def set_progress(self, epoch, iteration, progress, seed):
        """Called by ``CoTrainingHook``: the 0-based epoch, the global iteration, the epoch
        plus the fraction of it done, and the run's seed."""
        self.epoch, self._iter, self.progress, self.seed = int(epoch), int(iteration), \
            float(progress), int(seed or 0)

    def in_warmup(self):
        return self.epoch < self.warmup_epochs

    def rng(self, name='net1'):
        """numpy Generator for this iteration's random draws of network ``name`` (mixup
        lambda), fixed by the seed, the iteration and the network, so that a resumed run
        draws what the uninterrupted one did and the two networks draw independently (the
        authors' code trains each network in its own loop with its own draws)."""
        return np.random.default_rng([self.seed, self._iter, NETWORKS.index(name)])

    def torch_generator(self, device, name='net1'):
        g = torch.Generator(device=device)
        g.manual_seed((int(self.seed) * 1_000_003 + self._iter) * 2 + NETWORKS.index(name))
        return g

    def trust(self, name, sample_idx, device):
        """The confidence network ``name`` trains with (its selection's ``trust``), at
        ``sample_idx``."""
        table = self.selection(name).trust
        return table[sample_idx.cpu()].to(device=device, dtype=torch.float32)

    def bind_training_set(self, dataset):
        """Called by ``CoTrainingHook`` before training with the training set (VRLVMix loads
        samples outside the batch through it); nothing by default."""

    # ------------------------------------------------------------------------------ record
    def record_outputs(self, inputs):
        out = {}
        for name in NETWORKS:
            net = getattr(self, name)
            feat, logits = net(inputs, mode='both')
            out[name] = (feat, logits, unwrap(net).class_weights())
        return out

    # --------------------------------------------------------------------------- forward
    def forward(self, inputs, data_samples=None, mode='tensor'):
        if isinstance(inputs, (list, tuple)):
            inputs = inputs[0]
        if mode == 'tensor':
            return self._test_probs(inputs)
        if mode == 'predict':
            probs = self._test_probs(inputs)
            if data_samples is None:
                data_samples = [DataSample() for _ in range(len(probs))]
            for sample, p in zip(data_samples, probs):
                sample.set_pred_score(p).set_pred_label(p.argmax().view(1))
            return data_samples
        raise RuntimeError(f'{type(self).__name__} trains through train_step, '
                           f"not forward(mode='{mode}')")

    def _test_probs(self, inputs):
        if self.test_mode == 'logits_sum':
            return F.softmax(sum(getattr(self, n)(inputs, mode='tensor') for n in NETWORKS), 1)
        names = NETWORKS if self.test_mode == 'mean' else (self.test_mode, )
        probs = [F.softmax(getattr(self, n)(inputs, mode='tensor'), dim=1) for n in names]
        return sum(probs) / len(probs)

    # ------------------------------------------------------------------------------ train
    def train_step(self, data, optim_wrapper):
        for name in NETWORKS:
            if name not in optim_wrapper:
                raise ValueError(f'{type(self).__name__} needs one optimizer per network '
                                 f"({list(NETWORKS)}): use optim_wrapper=dict(constructor="
                                 "'CoTrainingOptimWrapperConstructor', optimizer=...)")
        data = self.data_preprocessor(data, True)
        inputs, samples = data['inputs'], data['data_samples']
        views = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        device = views[0].device
        labels = torch.cat([s.gt_label for s in samples]).to(device)
        sample_idx = torch.as_tensor([s.sample_idx for s in samples], dtype=torch.long)
        streams = stream_codes(samples)
        if streams is not None and not self.two_stream:
            raise ValueError(f'{type(self).__name__} trains both networks on one batch; '
                             'CoTrainingBatchSampler (labelled / unlabelled streams) is for '
                             'DivideMix, UNICON and VRLVMix')
        if self.in_warmup():
            return self.warmup_step(views[0], labels, optim_wrapper, streams)
        self.check_views(len(views))
        if self.two_stream:
            return self.method_step(views, labels, sample_idx, optim_wrapper, streams=streams)
        return self.method_step(views, labels, sample_idx, optim_wrapper)

    def check_views(self, given):
        """Refuse a training pipeline with fewer views of each sample than the method uses
        (``CoTrainingHook`` calls it at start-up, ``train_step`` on every method batch)."""
        if given < self.num_views:
            raise ValueError(f'{type(self).__name__} needs {self.num_views} views of each '
                             f'training sample but the training pipeline gives {given}: use a '
                             "MultiView pipeline (e.g. weak_strong_pipeline of the dataset's "
                             'base config)')

    def warmup_step(self, x, labels, optim_wrapper, streams=None):
        """CE (+ the negative-entropy penalty) for each network: on the whole batch, or with
        two-stream batches (``streams``) on the network's own rows."""
        log = {}
        for name in NETWORKS:
            rows = network_rows(streams, name)
            if rows is not None and not rows.any():
                continue
            xn, yn = (x, labels) if rows is None else (take_rows(x, rows),
                                                       take_rows(labels, rows))
            net, wrapper = getattr(self, name), optim_wrapper[name]
            with wrapper.optim_context(net):
                logits = self.warmup_logits(net(xn, mode='tensor'))
                ce = F.cross_entropy(logits, yn)
                loss = ce + negative_entropy(logits) if self.warmup_neg_entropy else ce
            wrapper.update_params(loss)
            # the same key as the method phase's total, so the log does not keep printing a
            # stale warm-up value after warm-up (MMEngine shows the latest value of every key)
            log[f'{name}.loss'] = loss.detach()
        return log

    def warmup_logits(self, logits):
        """The logits the warm-up loss sees (UNICON + HMW: l2-normalised, as the HMW code)."""
        return logits

    def method_step(self, views, labels, sample_idx, optim_wrapper):
        raise NotImplementedError

    def add_aux_losses(self, name, loss, feats, logits, labels, log):
        """``loss`` plus the plug-in losses (``aux_losses``) on network ``name``'s features
        of this forward; their parts go into ``log`` under ``{name}.``."""
        if not self.aux_losses:
            return loss
        aux, parts = aux_loss_terms(self.aux_losses, feats, logits, labels,
                                    self.torch_generator('cpu', name))
        log.update({f'{name}.{k}': v for k, v in parts.items()})
        return loss + aux

    def peer_of(self, name):
        return NETWORKS[1 - NETWORKS.index(name)]

    @torch.no_grad()
    def eval_forward(self, name, x, mode='tensor'):
        """No-grad outputs of network ``name`` in eval mode (a peer's predictions, as the
        authors' code computes them with ``net2.eval()``)."""
        net = getattr(self, name)
        was_training = net.training
        net.eval()
        try:
            return net(x, mode=mode)
        finally:
            net.train(was_training)

    def onehot(self, labels):
        return F.one_hot(labels, self.num_classes).float()

