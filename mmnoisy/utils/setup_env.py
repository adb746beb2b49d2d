import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope=True):
    """Import every mmnoisy (and mmpretrain) module so that it registers, and make 'mmnoisy' the default scope."""
    import mmnoisy.all_modules  # noqa: F401
    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or current.scope_name != 'mmnoisy':
        if current is not None:
            warnings.warn(f'The default scope is {current.scope_name!r}; switching to '
                          "'mmnoisy' for the modules of this package.")
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S-%f')
        DefaultScope.get_instance(f'mmnoisy-{stamp}', scope_name='mmnoisy')
