"""Importing this module registers every module of mmnoisy and of mmpretrain.

It is the ``locations`` entry of mmnoisy's registries, so a config with
``default_scope='mmnoisy'`` finds mmnoisy's and mmpretrain's modules without further imports.
It applies :mod:`mmnoisy.compat`'s fixes first.
"""
from mmpretrain.utils import register_all_modules as _register_mmpretrain

from mmnoisy.compat import apply_patches

apply_patches()

_register_mmpretrain(init_default_scope=False)

import mmnoisy.datasets  # noqa: F401,E402
import mmnoisy.engine  # noqa: F401,E402
import mmnoisy.evaluation  # noqa: F401,E402
import mmnoisy.models  # noqa: F401,E402
