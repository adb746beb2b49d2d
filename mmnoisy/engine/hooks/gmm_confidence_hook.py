"""``GMMConfidenceHook``: when the GMM clean probability is computed, and where it goes.

At the start of each epoch from ``begin_epoch`` (after ``SampleRecordHook`` has recorded the
losses), the clean probability of every sample is computed from each network's losses
(:func:`mmnoisy.selection.gmm_clean_posterior`) and stored as ``model.trust_tables[net]``,
a float tensor indexed by ``sample_idx`` that learners read in ``train_step``. With two
networks and ``co_divide=True`` (DivideMix, RoLR, CCL) each network receives the table
computed from its peer's losses.

The quality of "trusted = clean" (trust > ``threshold``) is logged every epoch: the trusted
fraction, and precision, recall, F1 and AUROC when the dataset's clean labels are known.
They go to the text log and the visualizer (TensorBoard when configured), and after training
to ``{work_dir}/selection_quality.json``. Clean labels are read for these metrics only.
"""
import json
import os.path as osp

import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmnoisy.engine.utils import (built_loop, check_begin_epoch, resolve_begin_epoch,
                                  unwrap)
from mmnoisy.registry import HOOKS
from mmnoisy.selection import gmm_clean_posterior, selection_quality
from mmnoisy.utils.io import atomic_write

CHECKPOINT_KEY = 'selection_quality'


@HOOKS.register_module()
class GMMConfidenceHook(Hook):
    """Args:
        signal (str): recorded signal to split (the loss).
        average_last (int): average the normalised losses of up to this many recent epochs
            (RoLR at 90% noise: 5).
        co_divide (bool): hand each of two networks its peer's table.
        begin_epoch (int | str): first epoch with a table; 'warmup' = the model's
            ``warmup_epochs``.
        threshold (float): trust > threshold counts as trusted in the logged quality
            (DivideMix's p_threshold).
        max_iter, tol, reg_covar, random_state: of the GaussianMixture.
    """
    priority = 'NORMAL'  # after SampleRecordHook (ABOVE_NORMAL) has recorded the epoch
    method_name = 'GMM'

    def __init__(self, signal='loss', average_last=1, co_divide=True, begin_epoch=0,
                 threshold=0.5, max_iter=10, tol=1e-2, reg_covar=5e-4, random_state=0):
        if int(average_last) < 1:
            raise ValueError(f'average_last must be >= 1, got {average_last}')
        if not 0 <= threshold < 1:
            raise ValueError(f'threshold must be in [0, 1), got {threshold}')
        self.signal, self.average_last, self.co_divide = signal, int(average_last), co_divide
        self.begin_epoch, self.threshold = check_begin_epoch(begin_epoch), threshold
        self.gmm_args = dict(max_iter=max_iter, tol=tol, reg_covar=reg_covar,
                             random_state=random_state)
        self.is_noisy = None
        self.labels = None    # the given labels of the training rows (set before the run)
        self.history = []  # one entry per epoch: {'epoch', net: {quality, gmm}}

    def before_run(self, runner):
        if built_loop(runner, 'train') is None:
            return
        self.begin_epoch = resolve_begin_epoch(self.begin_epoch, runner)
        model = unwrap(runner.model)
        record = getattr(model, 'sample_record', None)
        if record is None:
            raise ValueError('GMMConfidenceHook needs a per-sample record: add '
                             f"dict(type='SampleRecordHook', signals=dict({self.signal}=...)) "
                             'to custom_hooks')
        if self.signal not in record.history:
            raise ValueError(f'GMMConfidenceHook splits {self.signal!r}, which the record does '
                             f'not keep (it records {list(record.signals)})')
        if record.history[self.signal] < self.average_last:
            raise ValueError(f'GMMConfidenceHook averages {self.average_last} epochs of '
                             f'{self.signal!r} but the record keeps '
                             f'{record.history[self.signal]}')
        self.labels = record.info.labels
        self.is_noisy = record.info.is_noisy  # metrics only

    def before_train_epoch(self, runner):
        model = unwrap(runner.model)
        record = getattr(model, 'sample_record', None)
        if record is None or runner.epoch < self.begin_epoch:
            return
        available = {n: len(record.recorded_epochs(n, self.signal)) for n in record.nets}
        if min(available.values()) == 0:
            runner.logger.warning(f'epoch {runner.epoch + 1}: no {self.signal!r} recorded yet, '
                                  f'no {self.method_name} selection')
            return
        self.select(runner, model, record, available)

    def select(self, runner, model, record, available):
        """Compute this epoch's tables from the record (``available``: epochs held per net)
        and hand them to the model; here the GMM split, co-divided."""
        nets = record.nets
        splits = {net: self.clean_probability(runner, record, net, available[net])
                  for net in nets}
        entry = {'epoch': runner.epoch + 1}  # 1-based, as the log's 'selection epoch N'
        for i, net in enumerate(nets):
            source = nets[1 - i] if self.co_divide and len(nets) == 2 else net
            clean_prob, info = splits[source]
            model.trust_tables[net] = torch.from_numpy(np.asarray(clean_prob, np.float32))
            quality = selection_quality(clean_prob, self.is_noisy, self.threshold)
            entry[net] = dict(from_net=source, **quality, **info)
            self._log(runner, net, source, quality)
        self.add_history(runner, entry)

    def add_history(self, runner, entry):
        self.history = [h for h in self.history if h['epoch'] != entry['epoch']] + [entry]

    def clean_probability(self, runner, record, net, available):
        """(clean probability of every row, dict logged with it) from ``net``'s record."""
        losses = record.get(net, self.signal, min(self.average_last, available))
        split = gmm_clean_posterior(losses, **self.gmm_args)
        return split.clean_prob, dict(gmm=dict(means=split.means.tolist(),
                                               variances=split.variances.tolist(),
                                               weights=split.weights.tolist()))

    def _log(self, runner, net, source, quality):
        text = ', '.join(f'{k} n/a' if v is None else f'{k} {v}' if isinstance(v, int)
                         else f'{k} {v:.4f}' for k, v in quality.items())
        runner.logger.info(f'selection epoch {runner.epoch + 1} {net} ({self.method_name} of '
                           f'{source}): {text}')
        scalars = {f'selection/{net}/{k}': v for k, v in quality.items() if v is not None}
        if scalars:
            runner.visualizer.add_scalars(scalars, step=runner.epoch + 1)

    def before_save_checkpoint(self, runner, checkpoint):
        checkpoint[CHECKPOINT_KEY] = json.dumps(self.history)

    def after_load_checkpoint(self, runner, checkpoint):
        if getattr(runner, '_resume', False) and CHECKPOINT_KEY in checkpoint:
            self.history = json.loads(checkpoint[CHECKPOINT_KEY])

    def after_train(self, runner):
        if is_main_process() and self.history:
            path = atomic_write(osp.join(runner.work_dir, 'selection_quality.json'), json.dumps(
                {'signal': self.signal, 'threshold': self.threshold,
                 'average_last': self.average_last, 'epochs': self.history},
                indent=1).encode())
            runner.logger.info(f'selection quality per epoch written to {path}')

