"""``VRLVSelectionHook``: VRLVMix's selection, once per epoch, and where it goes.

At the start of each epoch from ``begin_epoch`` it reads what ``SampleRecordHook`` has just
recorded (test transform, no augmentation): both networks' losses, network B's (``net2``)
predictions over the last tau + 1 epochs and a feature vector per sample, and runs
:func:`mmnoisy.selection.vrlv.vrlv_partition`:

* network A (``net1``) splits by the GMM of its losses (G_l = clean probability >
  ``p_threshold``, the learner's), r = |G_l| / N;
* network B's loss-change ranks over the last tau epochs give the variance of Eq. 3 and the
  sets V_l, V_h, V_c of Eq. 4;
* beta (Eq. 5) compares B's predictions of the two last epochs, or, in the epoch t* + tau
  after the learning rate changed at t*, those of t* and t* + tau; D_c follows Eq. 6;
* balancing (Algorithm 1): per-class quota R = N r / C, ENN cleaning of over-full classes and
  k-NN mixup pairs from the peer's unlabelled set for short ones (feature space: B's pooled
  features of this epoch's pass, or the SimCLR encoder's features from a file).

The tables themselves are built by :func:`mmnoisy.selection.vrlv.vrlv_tables`; the learner
(``VRLVMix``) receives one :class:`~mmnoisy.models.interfaces.Selection` per network:
``labelled`` (D_x), ``trust`` (the peer's GMM clean probability for label refinement, as
DivideMix), ``pairs`` / ``pair_labels`` (the mixup pairs, keyed by the pool sample),
``class_weights`` (Eq. 10) and, while SCAN is on (estimated noise rate 1 - r above the
learner's ``scan['noise_rate']``), ``scan`` (each sample's neighbours that share its predicted
class, -1 elsewhere). Until tau + 1 epochs of B's losses are recorded the selection is
DivideMix's co-divide (logged as such). The learner's options (``p_threshold``, ``vrlv``,
``balancing``, ``class_balance``, ``scan``) are read once from its ``selection_request()``.

Logged every epoch: the sizes of V_l, V_h, V_c, D_c and D_x (with the pairs) and, when the
clean labels are known, their precision, the AUROC of the GMM probability and of the
variance (low = clean), to the text log, the visualizer and ``selection_quality.json``.
"""
import os.path as osp

import numpy as np
import torch

from mmnoisy.engine.utils import built_loop, unwrap
from mmnoisy.models.interfaces import Selection
from mmnoisy.registry import HOOKS
from mmnoisy.selection import selection_quality
from mmnoisy.selection.vrlv import (loss_change_rank_rows, loss_change_ranks, lr_change_epoch,
                                    prediction_changed, rank_variance, scan_table, vrlv_tables)
from .gmm_confidence_hook import GMMConfidenceHook

LRS_KEY = 'vrlv_learning_rates'


@HOOKS.register_module()
class VRLVSelectionHook(GMMConfidenceHook):
    """Args:
        tau (int): epochs of loss-change ranks in the variance, and the delay after a
            learning-rate change (10).
        gamma_1, gamma_2 (float | None): thresholds of V_l / V_h on the variance of ranks
            normalised to [0, 1]; None = derived from r (see ``vrlv_sets``).
        lr_change_factor (float | None): a change of the learning rate by at least this
            factor either way counts as "lr changes" (2: a step schedule's /10 does, a cosine
            schedule's epoch-to-epoch decay mostly does not); None = any change.
        features (str): 'record' (network B's ``feature`` signal of this epoch) or the path of
            an (N, D) ``.npy`` (e.g. the SimCLR features ``tools/vrlvmix/mine_neighbours.py``
            writes).
        k_enn (int): neighbours of the ENN cleaning (3).
        k_mix (int): nearest pool samples per anchor for the mixup pairs (5).
        begin_epoch (int | str): first epoch with a selection ('warmup').
        average_last (int): the GMM of network A (G_l) is fitted to the mean loss of its last
            ``average_last`` epochs (1; 5 at 90% noise, as DivideMix's code, which VRLVMix
            builds on).
        max_iter, tol, reg_covar, random_state: of the GaussianMixture.
    """
    method_name = 'VRLV'
    provides = frozenset({'trust', 'labelled', 'pairs', 'pair_labels', 'class_weights', 'scan'})

    def __init__(self, tau=10, gamma_1=None, gamma_2=None, lr_change_factor=2.0,
                 features='record', k_enn=3, k_mix=5, begin_epoch=0, average_last=1,
                 **gmm_args):
        super().__init__(signal='loss', average_last=average_last, co_divide=True,
                         begin_epoch=begin_epoch, **gmm_args)
        if int(tau) < 2:
            raise ValueError(f'tau must be >= 2, got {tau}')
        if gamma_1 is not None and gamma_2 is not None and gamma_1 > gamma_2:
            raise ValueError(f'gamma_1 ({gamma_1}) must not exceed gamma_2 ({gamma_2})')
        if lr_change_factor is not None and lr_change_factor <= 1:
            raise ValueError(f'lr_change_factor must be > 1 or None, got {lr_change_factor}')
        self.lr_change_factor = lr_change_factor
        if int(k_enn) < 1 or int(k_mix) < 1:
            raise ValueError(f'k_enn and k_mix must be >= 1, got {k_enn}, {k_mix}')
        self.tau, self.gamma_1, self.gamma_2 = int(tau), gamma_1, gamma_2
        self.features = features
        self.k_enn, self.k_mix = int(k_enn), int(k_mix)
        self.lrs = {}          # epoch -> learning rate of net1's first parameter group
        self.feature_table = None
        self.neighbours = None
        self.rank_rows = {}    # epoch -> S^t of network B (kept, not checkpointed)

    # ------------------------------------------------------------------------ start-up
    def before_run(self, runner):
        super().before_run(runner)
        loop = built_loop(runner, 'train')
        if loop is None:
            return
        request = self.request
        if len(request.networks) != 2:
            raise TypeError(f'VRLVSelectionHook selects for VRLVMix, not {request.learner}')
        opts = request.options
        record = unwrap(runner.model).sample_record
        n = len(loop.dataloader.dataset)
        need = {'loss': self.tau + 1 if opts['vrlv'] else 1,
                'pred': self.tau + 1 if opts['vrlv'] else 1}
        if opts['balancing'] and self.features == 'record':
            need['feature'] = 1
        for name, epochs in need.items():
            if record.history.get(name, 0) < epochs:
                raise ValueError(
                    f'VRLVSelectionHook(tau={self.tau}) needs {epochs} epochs of {name!r} in '
                    f'the per-sample record, which keeps '
                    f'{record.history.get(name, 0)}: SampleRecordHook(signals=dict(loss='
                    f"{self.tau + 1}, pred={self.tau + 1}, feature=1), pipeline='test')")
        if opts['balancing'] and self.features != 'record':
            self.feature_table = _load_table(self.features, n, 'features', ndim=2)
        scan = opts['scan']
        if scan is not None:
            self.neighbours = _load_table(scan['neighbours'], n, 'SCAN neighbours', ndim=2)
            if self.neighbours.min() < 0 or self.neighbours.max() >= n:
                raise ValueError(f"SCAN neighbour file {scan['neighbours']} has indices outside "
                                 f'[0, {n})')

    # ----------------------------------------------------------------------- every epoch
    def before_train_epoch(self, runner):
        self.lrs[runner.epoch] = float(
            runner.optim_wrapper['net1'].optimizer.param_groups[0]['lr'])
        super().before_train_epoch(runner)

    def select(self, runner, record, available):
        nets = record.nets
        req, opts = self.request, self.request.options
        splits = {net: self.clean_probability(runner, record, net, available[net])[0]
                  for net in nets}
        entry = {'epoch': runner.epoch + 1}  # 1-based, as the log's 'selection epoch N'
        held = len(record.recorded_epochs('net2', 'loss'))
        lr_t = lr_change_epoch(self.lrs, runner.epoch, self.tau, self.lr_change_factor)
        pred_epochs = record.recorded_epochs('net2', 'pred')
        ready = not opts['vrlv'] or (held >= self.tau + 1 and len(pred_epochs) >= 2)
        if lr_t is not None and lr_t not in pred_epochs:
            lr_t = None   # the predictions at t* were not recorded (recording began later)
        args = dict(balancing=opts['balancing'], class_balance=opts['class_balance'],
                    gamma_1=self.gamma_1, gamma_2=self.gamma_2, k_enn=self.k_enn,
                    k_mix=self.k_mix)
        info = {}
        var = None
        if not ready:
            mode = f'GMM co-divide (VRLV waits for {self.tau + 1} epochs of losses, has {held})'
            tables = vrlv_tables(self.labels, splits, req.p_threshold, req.num_classes,
                                 mode='co_divide', **args)
        else:
            losses_a = record.latest('net1', 'loss')
            features = None
            if opts['balancing']:
                features = self.feature_table if self.feature_table is not None else \
                    record.latest('net2', 'feature').astype(np.float32)
            if opts['vrlv']:
                var = self.variance(record)
                preds = record.get('net2', 'pred', 2)
                pred_prev = record.get_epoch('net2', 'pred', lr_t) if lr_t is not None \
                    else preds[0]
                tables = vrlv_tables(self.labels, splits, req.p_threshold, req.num_classes,
                                     mode='vrlv', var=var,
                                     beta=prediction_changed(pred_prev, preds[1]),
                                     lr_changed=lr_t is not None, losses=losses_a,
                                     features=features, **args)
                mode = 'lr changed at epoch %d' % (lr_t + 1) if lr_t is not None else \
                    'lr constant'
                info = self._set_info(tables['partition'], var)
            else:
                mode = 'w/o VRLV: GMM co-divide, balanced'
                tables = vrlv_tables(self.labels, splits, req.p_threshold, req.num_classes,
                                     mode='gmm_balanced', losses=losses_a, features=features,
                                     **args)
        ratio = tables['ratio']
        scan_on = opts['scan'] is not None and 1 - ratio > opts['scan']['noise_rate']
        out = {}
        for net in nets:
            t = tables[net]
            cw = t['class_weights']
            out[net] = Selection(
                trust=torch.from_numpy(t['trust']), labelled=torch.from_numpy(t['labelled']),
                pairs=torch.from_numpy(t['pairs']), pair_labels=torch.from_numpy(t['pair_labels']),
                class_weights=None if cw is None else torch.from_numpy(cw),
                scan=torch.from_numpy(scan_table(record.latest(net, 'pred'), self.neighbours))
                if scan_on else None)
            peer = req.peer_of(net)
            quality = selection_quality(t['trust'], self.is_noisy, trusted=t['labelled'])
            sizes = dict(D_x=int(np.sum(t['labelled'])), pairs=int((t['pairs'] >= 0).sum()))
            entry[net] = dict(from_net=peer, mode=mode, **quality, **sizes, **info)
            self._log(runner, net, peer, dict(quality, **sizes, **{
                k: v for k, v in info.items() if not isinstance(v, str)}))
        runner.logger.info(f'VRLV epoch {runner.epoch + 1}: {mode}; estimated noise rate '
                           f'{1 - ratio:.3f}, SCAN {"on" if scan_on else "off"}')
        entry['noise_rate'] = 1 - ratio
        entry['scan'] = bool(scan_on)
        self.add_history(runner, entry)
        return out

    def variance(self, record):
        """Eq. 3 from network B's recorded losses. The rank rows of earlier epochs are kept
        (one new sort per epoch instead of tau); missing ones (the first epoch, after a
        resume) are rebuilt from the record, which holds tau + 1 epochs of losses."""
        epochs = record.recorded_epochs('net2', 'loss')[-(self.tau + 1):]
        if len(epochs) < self.tau + 1:
            raise ValueError(f'tau = {self.tau} needs {self.tau + 1} recorded epochs of losses, '
                             f'the record holds {len(epochs)}')
        missing = [e for e in epochs[1:] if e not in self.rank_rows]
        if missing == [epochs[-1]]:
            prev, last = record.get('net2', 'loss', 2)
            self.rank_rows[epochs[-1]] = loss_change_ranks(prev, last)
        elif missing:
            rows = loss_change_rank_rows(record.get('net2', 'loss', self.tau + 1))
            self.rank_rows = dict(zip(epochs[1:], rows))
        self.rank_rows = {e: self.rank_rows[e] for e in epochs[1:]}
        return rank_variance(np.stack([self.rank_rows[e] for e in epochs[1:]]))

    def _set_info(self, part, var):
        """Sizes of Eq. 4's sets and D_c, and their precision when clean labels are known."""
        sets = dict(V_l=part['sets']['V_l'], V_h=part['sets']['V_h'], V_c=part['sets']['V_c'],
                    D_c=part['clean'])
        info = {f'{k}_size': int(m.sum()) for k, m in sets.items()}
        info.update(gamma_1=part['sets']['gamma_1'], gamma_2=part['sets']['gamma_2'])
        if self.is_noisy is not None:
            clean = ~np.asarray(self.is_noisy, bool)
            info.update({f'{k}_precision': float(clean[m].mean()) if m.any() else None
                         for k, m in sets.items()})
            info['vrlv_auroc'] = selection_quality(-var, self.is_noisy)['auroc']
        return info

    # ---------------------------------------------------------------------- checkpoint
    def before_save_checkpoint(self, runner, checkpoint):
        super().before_save_checkpoint(runner, checkpoint)
        checkpoint[LRS_KEY] = {int(k): float(v) for k, v in self.lrs.items()}

    def after_load_checkpoint(self, runner, checkpoint):
        super().after_load_checkpoint(runner, checkpoint)
        if getattr(runner, '_resume', False) and LRS_KEY in checkpoint:
            self.lrs = {int(k): float(v) for k, v in checkpoint[LRS_KEY].items()}


def _load_table(path, num_samples, what, ndim):
    if not osp.isfile(str(path)):
        raise FileNotFoundError(f'{what} file not found: {path}')
    table = np.load(path, mmap_mode='r')
    if table.ndim != ndim or table.shape[0] != num_samples:
        raise ValueError(f'{what} file {path} has shape {table.shape}; the training set has '
                         f'{num_samples} samples, so ({num_samples}, ...) is needed')
    return np.asarray(table)
