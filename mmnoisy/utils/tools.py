"""Helpers shared by tools/train.py and tools/test.py."""
import ast
import os.path as osp

import torch


class ConfigFileError(SyntaxError):
    """A config file (or one it inherits) that is not valid Python."""


def _syntax_error_in(path, seen=None):
    """The first SyntaxError in ``path`` or the local ``_base_`` files it inherits, as
    (file, error), or None."""
    from mmengine.config import Config
    seen = set() if seen is None else seen
    path = osp.abspath(path)
    if path in seen or not osp.isfile(path):
        return None
    seen.add(path)
    with open(path, encoding='utf-8') as f:
        text = f.read()
    try:
        ast.parse(text, filename=path)
    except SyntaxError as err:
        return path, err
    try:
        bases = Config._get_base_files(path)
    except Exception:  # noqa: BLE001 - a base list mmengine cannot read statically
        return None
    for base in bases if isinstance(bases, (list, tuple)) else [bases]:
        if isinstance(base, str) and '::' not in base:
            found = _syntax_error_in(osp.join(osp.dirname(path), base), seen)
            if found:
                return found
    return None


def load_config(path):
    """``Config.fromfile(path)``; a syntax error in it or in a file it inherits names that
    file and line (mmengine reports ``File "<unknown>"``). ``_base_ = 'mmnoisy::...'``
    resolves (:func:`mmnoisy.compat.enable_external_configs`)."""
    from mmengine.config import Config

    from mmnoisy.compat import apply_patches
    apply_patches()
    try:
        return Config.fromfile(path)
    except SyntaxError:
        found = _syntax_error_in(path)
        if not found:
            raise
        where, error = found
        raise ConfigFileError(
            f'config {where}, line {error.lineno}: {error.msg}'
            + (f': {error.text.strip()}' if error.text else '')
            + ('' if where == osp.abspath(path) else f' (inherited by {path})')) from None


def enable_amp(cfg):
    """Switch the optimizer wrapper(s) of ``cfg`` to ``AmpOptimWrapper``.

    A single wrapper (``optim_wrapper.optimizer``) is switched as OpenMMLab's tools do; a
    dict of wrappers (two-network methods: ``optim_wrapper.net1.optimizer`` ...) is switched
    wrapper by wrapper, since ``AmpOptimWrapper`` cannot wrap a dict.
    """
    if not torch.cuda.is_available():
        raise ValueError('--amp needs a CUDA GPU (mmengine AmpOptimWrapper); '
                         'none is available here, so train without --amp')
    wrapper = cfg.optim_wrapper
    if 'optimizer' in wrapper:
        targets = [wrapper]
    else:
        targets = [v for v in wrapper.values() if isinstance(v, dict) and 'optimizer' in v]
    if not targets:
        raise ValueError('--amp: found no optimizer in optim_wrapper to wrap')
    for target in targets:
        if target.get('type', 'OptimWrapper') == 'AmpOptimWrapper':
            continue
        if target.get('type', 'OptimWrapper') != 'OptimWrapper':
            raise ValueError(f"--amp: optim_wrapper type {target['type']!r} cannot be "
                             'switched to AmpOptimWrapper')
        target['type'] = 'AmpOptimWrapper'
        target.setdefault('loss_scale', 'dynamic')
    return cfg


def build_runner(cfg):
    """Build the runner of ``cfg``: ``NoisyRunner`` unless the config names another."""
    from mmnoisy.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    if cfg.get('runner_type', 'NoisyRunner') in ('NoisyRunner', 'mmnoisy.NoisyRunner'):
        from mmnoisy.engine import NoisyRunner
        return NoisyRunner.from_cfg(cfg)
    from mmengine.registry import RUNNERS
    return RUNNERS.build(cfg)


def shutdown_distributed():
    """End a distributed run cleanly: wait for every rank, destroy the process group, then
    leave the process at once (exit status 0) once logs and output are flushed.

    Left to interpreter exit, gloo's (and the store's) background threads can be torn down
    while still joinable ("terminate called without an active exception", SIGABRT) after a
    run that finished, which makes the launcher report a failure; destroying the group first
    made it rarer but not impossible on a loaded machine. Everything the run writes is
    written and closed before this is called, so skipping the interpreter's teardown loses
    nothing. Non-distributed runs return normally.
    """
    import logging
    import os
    import sys

    import torch.distributed as dist
    if not (dist.is_available() and dist.is_initialized()):
        return
    dist.barrier()
    dist.destroy_process_group()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
