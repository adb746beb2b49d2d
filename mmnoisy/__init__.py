"""mmnoisy: learning with noisy labels on MMEngine and mmpretrain."""
from . import compat  # noqa: F401  (registers the safe checkpoint loaders)
from .version import __version__

__all__ = ['__version__']
