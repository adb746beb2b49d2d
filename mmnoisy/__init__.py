"""mmnoisy: learning with noisy labels on MMEngine and mmpretrain.

Importing the package imports nothing else: ``mmnoisy.noise`` needs numpy only. The fixes to
mmengine / mmcv in :mod:`mmnoisy.compat` are applied when the modules register
(:func:`mmnoisy.utils.register_all_modules`, or a config with ``default_scope='mmnoisy'``).
"""
from .version import __version__

__all__ = ['__version__']
