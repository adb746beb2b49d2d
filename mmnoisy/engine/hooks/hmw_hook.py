"""``HMWHook``: HMW's per-sample weights (Zhang et al., AAAI 2024, Eq. 13) from the record.

Each epoch's margins are recorded by ``SampleRecordHook`` (hyperspherical: ``cos_margin`` and
``cos_topk_margin``; otherwise ``prob_margin`` and ``prob_topk_margin``; ``mode='online'``
records them from the training forward, as the authors' code does, from epoch 0). After every
epoch (online) or after the epoch's pass (mode='pass') this hook turns the newly recorded epoch
into a slice (Eq. 12), adds it to the running IAM (Eq. 7-9), a column of the record
(:class:`mmnoisy.engine.sample_record.RunningIAM`), and from ``warmup_epochs`` on hands the IAM
to the model as ``sample_weights``, which ``NoisyClassifier.loss`` multiplies into each
sample's loss (CE, SCE, GCE: mean(loss * w)). The running sums are saved with the record in
checkpoints, so a resumed run weights as the uninterrupted one.
"""
import torch
from mmengine.hooks import Hook

from mmnoisy.engine.sample_record import RunningIAM
from mmnoisy.engine.utils import built_loop, unwrap
from mmnoisy.models.interfaces import TakesSampleWeights
from mmnoisy.registry import HOOKS


@HOOKS.register_module()
class HMWHook(Hook):
    """Args:
        alpha, beta (float): the scales of Eq. 12 (paper: 100 for CE and SCE on CIFAR).
        warmup_epochs (int): the first epoch whose loss is weighted (authors: 10 on CIFAR-10,
            30 on CIFAR-100); slices are accumulated from the first recorded epoch.
        hyperspherical (bool): cosine distances to the classifier's class weights (Eq. 10-11);
            False: the authors' non-spherical variant, distances -softmax.
        anneal (bool): the cosine-annealed softmax over epochs (Eq. 8-9); False: all recorded
            epochs count the same.
        use_aum (bool): the AUM term of Eq. 12; False: the TKUM term alone.
        use_tkum (bool): the TKUM term of Eq. 12; False: the AUM term alone (with
            ``anneal=False``: "AUM only" of the paper's Table 4, with ``anneal=True``:
            "AUM + CA"); the record then needs only the margin.
        net (str): the recorded network whose weights are set (single network: 'net').
        normalized_logits (bool): train on l2-normalised logits in every epoch, warm-up
            included, as the authors' code does (its classifier normalises the logits of every
            training forward; not in the paper; default False: Eq. 13 on the ordinary loss).
    The top-k of the TKUM term is the record's ``topk`` (``SampleRecordHook(topk=1)``, the
    paper's k = 1).
    """
    priority = 'NORMAL'  # after SampleRecordHook (ABOVE_NORMAL)

    def __init__(self, alpha=100.0, beta=100.0, warmup_epochs=0, hyperspherical=True,
                 anneal=True, use_aum=True, net='net', normalized_logits=False, use_tkum=True):
        if alpha < 0 or beta < 0:
            raise ValueError(f'alpha and beta must be >= 0, got alpha={alpha}, beta={beta}')
        if int(warmup_epochs) < 0:
            raise ValueError(f'warmup_epochs must be >= 0, got {warmup_epochs}')
        self.alpha, self.beta, self.warmup_epochs = float(alpha), float(beta), int(warmup_epochs)
        self.hyperspherical, self.anneal, self.use_aum = bool(hyperspherical), bool(anneal), \
            bool(use_aum)
        self.net, self.normalized_logits = net, bool(normalized_logits)
        if not (use_aum or use_tkum):
            raise ValueError('HMWHook needs at least one of use_aum and use_tkum')
        self.use_tkum = bool(use_tkum)
        self.signals = ('cos_margin', 'cos_topk_margin') if hyperspherical else \
            ('prob_margin', 'prob_topk_margin')
        if not self.use_tkum:
            self.signals = self.signals[:1]
        self.acc = None
        self.is_noisy = None

    def before_run(self, runner):
        if built_loop(runner, 'train') is None:
            return
        model = unwrap(runner.model)
        if not isinstance(model, TakesSampleWeights):
            raise TypeError(f'HMWHook weights the loss of a NoisyClassifier, not '
                            f'{type(model).__name__}')
        if self.hyperspherical and model.class_weights() is None:
            raise ValueError('HMW in hyperspherical mode needs a head with class weights (a '
                             'linear classifier, Eq. 10); use HMWHook(hyperspherical=False)')
        record = model.sample_record
        missing = [s for s in self.signals if record is None or s not in record.history]
        if missing:
            raise ValueError(f'HMWHook needs the per-sample record of {list(self.signals)}: add '
                             "dict(type='SampleRecordHook', mode='online', signals=dict("
                             f"{', '.join(s + '=1' for s in self.signals)})) to custom_hooks")
        if self.net not in record.nets:
            raise ValueError(f'HMWHook(net={self.net!r}): the record has {list(record.nets)}')
        if self.warmup_epochs >= runner.max_epochs:
            raise ValueError(f'warmup_epochs ({self.warmup_epochs}) must be < max_epochs '
                             f'({runner.max_epochs})')
        self.acc = record.column(RunningIAM(
            record.num_samples, runner.max_epochs, self.net, self.signals, self.alpha,
            self.beta, self.use_aum, self.use_tkum, self.anneal))
        if self.normalized_logits:
            model.normalized_logits = True
        if record.info.is_noisy is not None:  # logs only
            self.is_noisy = torch.as_tensor(record.info.is_noisy, dtype=torch.bool)

    def after_train_epoch(self, runner):
        # online recording: the epoch that just ended, synced by SampleRecordHook
        # (ABOVE_NORMAL) a moment ago and overwritten when the next epoch begins
        if self.acc is not None:
            self.acc.update(unwrap(runner.model).sample_record)

    def before_train_epoch(self, runner):
        if self.acc is None:
            return
        model = unwrap(runner.model)
        self.acc.update(model.sample_record)  # mode='pass': this epoch's pass
        if runner.epoch >= self.warmup_epochs and self.acc.epochs:
            model.sample_weights = self.acc.value()
            self._log(runner, model.sample_weights)

    def _log(self, runner, weights):
        text = f'HMW epoch {runner.epoch + 1}: mean weight {weights.mean():.4f}'
        if self.is_noisy is not None and self.is_noisy.any() and (~self.is_noisy).any():
            text += (f', clean samples {weights[~self.is_noisy].mean():.4f}, mislabelled '
                     f'{weights[self.is_noisy].mean():.4f}')
        runner.logger.info(text)
