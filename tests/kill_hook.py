"""Test helper: end the process abruptly after a given epoch, as a killed job would."""
import os

from mmengine.hooks import Hook

from mmnoisy.registry import HOOKS


@HOOKS.register_module()
class KillAfterEpoch(Hook):
    priority = 'LOWEST'  # after CheckpointHook has written epoch_N.pth

    def __init__(self, epoch):
        self.epoch = epoch

    def after_train_epoch(self, runner):
        if runner.epoch + 1 == self.epoch:  # runner.epoch is 0-based until the loop moves on
            from mmengine.dist import barrier
            barrier()  # every rank waits until rank 0 has written the checkpoint
            os._exit(17)
