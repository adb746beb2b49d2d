"""Helpers; ``register_all_modules`` is imported on first use, so ``mmnoisy.utils.io``
(used by the numpy-only ``mmnoisy.noise``) imports without mmengine."""
__all__ = ['register_all_modules', 'unwrap']


def __getattr__(name):  # PEP 562: the public names, imported when first asked for
    if name == 'register_all_modules':
        from .setup_env import register_all_modules
        return register_all_modules
    if name == 'unwrap':
        from .models import unwrap
        return unwrap
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
