"""Small runner helpers shared by mmnoisy's hooks and runner."""
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop


def unwrap(model):
    """The model inside a DDP (or other mmengine) wrapper, or the model itself."""
    return model.module if is_model_wrapper(model) else model


def built_loop(runner, name):
    """The runner's 'train', 'val' or 'test' loop if this run has built it, else None
    (a test-only run has no train loop; touching ``runner.train_loop`` would build one)."""
    loop = getattr(runner, f'_{name}_loop', None)
    return loop if isinstance(loop, BaseLoop) else None
