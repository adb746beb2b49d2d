"""What makes a resumed run repeat the uninterrupted one: each training epoch's random streams
from (seed, epoch, rank) (:mod:`mmnoisy.utils.seeding`), and under DDP the same BatchNorm
statistics on every rank when an epoch ends."""
from mmengine.dist import all_reduce, broadcast, get_rank, get_world_size
from mmengine.hooks import Hook

from mmnoisy.registry import HOOKS
from mmnoisy.utils.seeding import seed_epoch


def sync_buffers(model):
    """Average the floating-point buffers (BatchNorm's running mean and variance) over the
    ranks and give every rank rank 0's integer ones (``num_batches_tracked``)."""
    if get_world_size() < 2:
        return
    for buf in model.buffers():
        if buf.is_floating_point():
            all_reduce(buf, op='mean')
        else:
            broadcast(buf, 0)


@HOOKS.register_module()
class ExactResumeHook(Hook):
    """``NoisyRunner`` registers it (priority HIGHEST: first at both ends of an epoch);
    nothing to add to a config.

    - Before a training epoch: seed ``random``, numpy and torch from the run's seed, the epoch
      and the rank, so that what the epoch draws (random augmentation with or without workers,
      dropout, ...) does not depend on what earlier epochs drew.
    - After a training epoch, under DDP: average the BatchNorm statistics over the ranks
      (mmengine's ``SyncBuffersHook`` does the same). Networks wrapped without
      ``broadcast_buffers`` keep per-rank statistics, and the checkpoint holds only rank 0's:
      a resumed run gave the other ranks rank 0's statistics, and their share of the
      validation and of the per-sample record pass came out different.
    """
    priority = 'HIGHEST'

    def before_train_epoch(self, runner):
        seed_epoch(runner.seed or 0, runner.epoch, get_rank())

    def after_train_epoch(self, runner):
        sync_buffers(runner.model)
