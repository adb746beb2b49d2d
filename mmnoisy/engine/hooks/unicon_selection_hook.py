"""``UniconSelectionHook``: UNICON's uniform selection, once per epoch, for both networks.

At the start of each epoch from ``begin_epoch`` it reads the softmax outputs of both networks
that ``SampleRecordHook(pipeline='test', signals=dict(prob=1))`` has just recorded, averages
them, and runs :func:`mmnoisy.selection.unicon.unicon_select`: the Jensen-Shannon divergence
to the given label, the filter rate, the per-class selection and the label weights. The
learner (``UNICON``) receives a :class:`~mmnoisy.models.interfaces.Selection` per network:
``labelled`` (the selected set) and ``trust`` (weight of the given label); both networks get
the same selection (the authors recompute it between the two networks' epochs, see the
README). Logging, the per-epoch history, the checkpoint entry and ``selection_quality.json``
are :class:`SelectionHook`'s; the quality's AUROC ranks by 1 - JSD.
"""
import numpy as np
import torch

from mmnoisy.models.interfaces import Selection
from mmnoisy.registry import HOOKS
from mmnoisy.selection import selection_quality
from mmnoisy.selection.unicon import unicon_select
from .selection_hook import SelectionHook


@HOOKS.register_module()
class UniconSelectionHook(SelectionHook):
    """Args:
        d_u (float): above this mean divergence the threshold moves towards the smallest
            one (0.7).
        tau (float): by 1/tau of the way (5).
        log_base (float | str): of the divergence: 2 (the paper; JSD in [0, 1]) or 'e' (the
            authors' code; JSD <= ln 2 < d_u, so the d_u rule never applies there).
        weight_cut (float): divergences below it give the given label weight 1 (0.5).
        begin_epoch (int | str): first epoch with a selection; 'warmup' = the model's
            ``warmup_epochs``.
    """
    method_name = 'UNICON JSD'
    provides = frozenset({'trust', 'labelled'})

    def __init__(self, d_u=0.7, tau=5.0, log_base=2, weight_cut=0.5, begin_epoch=0):
        super().__init__(signal='prob', begin_epoch=begin_epoch)
        if not 0 <= d_u <= 1:
            raise ValueError(f'd_u must be in [0, 1], got {d_u}')
        if tau <= 0:
            raise ValueError(f'tau must be > 0, got {tau}')
        if log_base != 'e' and float(log_base) <= 1:
            raise ValueError(f"log_base must be > 1 or 'e', got {log_base!r}")
        if not 0 <= weight_cut <= 1:
            raise ValueError(f'weight_cut must be in [0, 1], got {weight_cut}')
        self.d_u, self.tau, self.log_base, self.weight_cut = d_u, tau, log_base, weight_cut

    def before_run(self, runner):
        super().before_run(runner)
        if self.request is None:
            return
        if len(self.request.networks) != 2:
            raise TypeError('UniconSelectionHook selects for the two networks of UNICON, not '
                            f'for {self.request.learner}')
        if self.labels is None:  # read by SelectionHook.before_run
            raise ValueError('UniconSelectionHook needs the given labels of the training set')

    def select(self, runner, record, available):
        nets = record.nets
        probs = sum(record.latest(n, self.signal).astype(np.float32) for n in nets) / len(nets)
        out = unicon_select(probs, self.labels, self.request.num_classes, self.d_u, self.tau,
                            self.log_base, self.weight_cut)
        selected = torch.from_numpy(out['selected'])
        weights = torch.from_numpy(out['weights'].astype(np.float32))
        quality = selection_quality(1 - out['jsd'], self.is_noisy, trusted=out['selected'])
        info = dict(ratio=out['ratio'], cut=out['cut'], mean_jsd=float(out['jsd'].mean()))
        source = '+'.join(nets)
        self._log(runner, 'both', source, dict(quality, **info))
        self.add_history(runner, {'epoch': runner.epoch + 1, **{
            net: dict(from_net=source, **quality, **info) for net in nets}})
        return {net: Selection(trust=weights, labelled=selected) for net in nets}
