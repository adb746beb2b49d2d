"""Small runner helpers shared by mmnoisy's hooks and runner."""
from mmengine.runner import BaseLoop

from mmnoisy.utils.models import unwrap

__all__ = ['unwrap', 'built_loop', 'check_begin_epoch', 'resolve_begin_epoch']


def built_loop(runner, name):
    """The runner's 'train', 'val' or 'test' loop if this run has built it, else None
    (a test-only run has no train loop; touching ``runner.train_loop`` would build one)."""
    loop = getattr(runner, f'_{name}_loop', None)
    return loop if isinstance(loop, BaseLoop) else None


def check_begin_epoch(value):
    """``begin_epoch`` of a hook: an epoch (int >= 0) or 'warmup' (the model's
    ``warmup_epochs``, so that a config changes its warm-up in one place)."""
    if value == 'warmup' or (isinstance(value, int) and value >= 0):
        return value
    raise ValueError(f"begin_epoch must be an epoch >= 0 or 'warmup', got {value!r}")


def resolve_begin_epoch(value, runner):
    if value != 'warmup':
        return value
    model = unwrap(runner.model)
    warmup = getattr(model, 'warmup_epochs', None)
    if warmup is None:
        raise ValueError(f"begin_epoch='warmup' needs a model with warmup_epochs; "
                         f'{type(model).__name__} has none')
    return int(warmup)
