"""Helpers shared by tools/train.py and tools/test.py."""
import torch


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
