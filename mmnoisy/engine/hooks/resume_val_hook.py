"""Keeps the per-epoch accuracy history complete across ``--resume``."""
from mmengine.dist import broadcast_object_list
from mmengine.hooks import Hook

from mmnoisy.engine.utils import built_loop
from mmnoisy.evaluation.metrics.last_k_accuracy import HISTORY_KEY
from mmnoisy.registry import HOOKS


@HOOKS.register_module()
class ResumeValHook(Hook):
    """Validate once when a resumed run's last finished epoch has no accuracy yet.

    mmengine writes ``epoch_N.pth`` before epoch N is validated, so a run resumed from it
    lacks epoch N's test accuracy and the mean over the last k epochs would silently cover
    one epoch less. The loaded weights are exactly the ones that validation would have seen,
    so validating them before training continues restores the missing entry.
    """
    priority = 'LOW'

    def before_train(self, runner):
        if runner.epoch == 0 or built_loop(runner, 'val') is None:
            return
        history = runner.message_hub.get_info(HISTORY_KEY) or {}
        last = runner.epoch - 1
        # validation has collective steps: every rank follows rank 0's decision
        decision = [bool(history) and last not in history]
        broadcast_object_list(decision, src=0)
        if decision[0]:
            runner.message_hub.update_info('epoch', last)
            runner.logger.info(f'resumed after epoch {runner.epoch}: validating it, since '
                               'its checkpoint was written before its validation')
            runner.val_loop.run()
