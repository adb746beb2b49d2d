"""``GMMConfidenceHook``: the GMM clean probability of every sample, once per epoch.

At the start of each epoch from ``begin_epoch`` (after ``SampleRecordHook`` has recorded the
losses), the clean probability of every sample is computed from each network's losses
(:func:`mmnoisy.selection.gmm_clean_posterior`) and handed to the learner as the ``trust`` of
its :class:`~mmnoisy.models.interfaces.Selection`. With two networks and ``co_divide=True``
(DivideMix, RoLR, CCL) each network receives the one computed from its peer's losses.

When, where it goes and what is logged (trusted fraction; precision, recall, F1, AUROC of
"trusted = clean" when the clean labels are known; ``selection_quality.json``) are
:class:`~mmnoisy.engine.hooks.selection_hook.SelectionHook`'s.
"""
import numpy as np
import torch

from mmnoisy.engine.utils import unwrap
from mmnoisy.models.interfaces import Selection
from mmnoisy.registry import HOOKS
from mmnoisy.selection import gmm_clean_posterior, selection_quality
from .selection_hook import SelectionHook


@HOOKS.register_module()
class GMMConfidenceHook(SelectionHook):
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
    method_name = 'GMM'

    def __init__(self, signal='loss', average_last=1, co_divide=True, begin_epoch=0,
                 threshold=0.5, max_iter=10, tol=1e-2, reg_covar=5e-4, random_state=0):
        super().__init__(signal=signal, begin_epoch=begin_epoch, threshold=threshold)
        if int(average_last) < 1:
            raise ValueError(f'average_last must be >= 1, got {average_last}')
        self.average_last, self.co_divide = int(average_last), co_divide
        self.gmm_args = dict(max_iter=max_iter, tol=tol, reg_covar=reg_covar,
                             random_state=random_state)

    def before_run(self, runner):
        super().before_run(runner)
        if self.request is None:
            return
        record = unwrap(runner.model).sample_record
        if record.history[self.signal] < self.average_last:
            raise ValueError(f'{type(self).__name__} averages {self.average_last} epochs of '
                             f'{self.signal!r} but the record keeps '
                             f'{record.history[self.signal]}')

    def summary(self):
        return dict(super().summary(), average_last=self.average_last)

    def select(self, runner, record, available):
        """The GMM split of each network's record, co-divided."""
        nets = record.nets
        splits = {net: self.clean_probability(runner, record, net, available[net])
                  for net in nets}
        entry = {'epoch': runner.epoch + 1}  # 1-based, as the log's 'selection epoch N'
        out = {}
        for i, net in enumerate(nets):
            source = nets[1 - i] if self.co_divide and len(nets) == 2 else net
            clean_prob, info = splits[source]
            out[net] = Selection(trust=torch.from_numpy(np.asarray(clean_prob, np.float32)))
            quality = selection_quality(clean_prob, self.is_noisy, self.threshold)
            entry[net] = dict(from_net=source, **quality, **info)
            self._log(runner, net, source, quality)
        self.add_history(runner, entry)
        return out

    def clean_probability(self, runner, record, net, available):
        """(clean probability of every row, dict logged with it) from ``net``'s record."""
        losses = record.get(net, self.signal, min(self.average_last, available))
        split = gmm_clean_posterior(losses, **self.gmm_args)
        return split.clean_prob, dict(gmm=dict(means=split.means.tolist(),
                                               variances=split.variances.tolist(),
                                               weights=split.weights.tolist()))
