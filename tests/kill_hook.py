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


@HOOKS.register_module()
class KillAtIteration(Hook):
    """End every process abruptly after iteration ``iteration`` (1-based) of epoch ``epoch``
    (1-based): a kill in the middle of an epoch, long after the last checkpoint."""
    priority = 'LOWEST'

    def __init__(self, epoch, iteration):
        self.epoch, self.iteration = epoch, iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.epoch + 1 == self.epoch and batch_idx + 1 == self.iteration:
            os._exit(17)
