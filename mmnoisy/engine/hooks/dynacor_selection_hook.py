"""``DynaCorSelectionHook``: DDyna-S, DivideMix's GMM split replaced by DynaCor's detection."""
from mmnoisy.detection import fit_dynacor
from mmnoisy.engine.hooks.gmm_confidence_hook import GMMConfidenceHook
from mmnoisy.engine.utils import unwrap
from mmnoisy.registry import HOOKS


@HOOKS.register_module()
class DynaCorSelectionHook(GMMConfidenceHook):
    """DDyna-S (DynaCor Sec. 5.5): a co-training learner (DivideMix) whose GMM split is replaced
    by DynaCor's detection. Before each epoch from ``begin_epoch`` the dynamics each network's
    record holds so far (``SampleRecordHook(signals=dict(margin_sign=None))``, e.g. in
    DivideMix's test-transform pass) are clustered by :func:`fit_dynacor`, and q_clean becomes
    the clean probability the peer trains with (``co_divide``), as the GMM's posterior would.
    The training set must hold DynaCor's corrupted copies (``CorruptedCopyDataset``); they
    train as ordinary samples, mostly as unlabelled ones.

    Args:
        begin_epoch, co_divide, threshold: as :class:`GMMConfidenceHook`.
        dynacor (dict): keyword arguments of :func:`fit_dynacor`.
    """
    method_name = 'DynaCor'

    def __init__(self, begin_epoch='warmup', co_divide=True, threshold=0.5, dynacor=None):
        super().__init__(signal='margin_sign', co_divide=co_divide, begin_epoch=begin_epoch,
                         threshold=threshold)
        self.dynacor = dict(dynacor or {})

    def before_run(self, runner):
        super().before_run(runner)
        if self.request is None:
            return
        record = unwrap(runner.model).sample_record
        if record.info.is_copy is None:
            raise ValueError("DynaCorSelectionHook needs the corrupted copies: wrap the training "
                             "set in dict(type='CorruptedCopyDataset', dataset=..., gamma=0.1)")
        if record.history['margin_sign'] < runner.max_epochs:
            raise ValueError('DynaCorSelectionHook reads the dynamics of every epoch: record '
                             'margin_sign with history None')

    def clean_probability(self, runner, record, net, available):
        dyn = record.get(net, 'margin_sign', available).T
        res = fit_dynacor(dyn, record.info.is_copy, source_idx=record.info.source_idx,
                          **self.dynacor)
        return 1.0 - res.scores, dict(dynacor=dict(best_epoch=res.best_epoch,
                                                   dynamics_epochs=int(available),
                                                   flagged=int(res.flags.sum())))


__all__ = ['DynaCorSelectionHook']
