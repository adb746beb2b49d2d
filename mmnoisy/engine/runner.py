"""``NoisyRunner``: mmengine's Runner with the fixes of :mod:`mmnoisy.compat` applied.

- distributed runs without CUDA use gloo and a DDP wrapper with ``device_ids=None``;
- a ``collate_fn`` inherited from a config of this package (``_scope_`` set) builds;
- checkpoints load with ``weights_only=True`` and an allow-list (compat registers the
  loaders), and one that does not fit the model is an error that says how, instead of
  mmengine's warning followed by training or testing a half-loaded model;
- a checkpoint of a DDP run of a two-network learner loads (mmengine saves the wrapped
  networks' keys, ``net1.module.*``, and loads by unwrapping them: nothing was loaded);
- each training epoch's random streams come from (seed, epoch, rank) and each data worker's
  from its epoch's, and under DDP the ranks' BatchNorm statistics are averaged when an epoch
  ends (``ExactResumeHook``, :func:`mmnoisy.utils.seeding.seed_worker`); the training loader
  runs without persistent workers. So ``--resume`` repeats the uninterrupted run exactly,
  random augmentation and DDP included.
"""
import copy
import os
import os.path as osp
import re

import torch
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint, _load_checkpoint_to_model

from mmnoisy.compat import (DamagedCheckpointError, apply_patches, check_state_dict_matches,
                            checkpoint_file_problem, cpu_ddp_cfg, init_cpu_dist,
                            unscoped_collate_fn)
from mmnoisy.engine.hooks import ExactResumeHook, RunSummaryHook
from mmnoisy.engine.utils import unwrap
from mmnoisy.registry import RUNNERS
from mmnoisy.utils.seeding import seed_worker

apply_patches()  # NoisyRunner loads and saves checkpoints through them


@RUNNERS.register_module()
class NoisyRunner(Runner):

    def __init__(self, *args, **kwargs):
        loader = kwargs.get('train_dataloader')
        dropped = isinstance(loader, dict) and bool(loader.get('persistent_workers'))
        if dropped:
            # a persistent worker's generators carry over between epochs, where no
            # checkpoint sees them: a resumed run could not repeat them
            kwargs['train_dataloader'] = dict(loader, persistent_workers=False)
        super().__init__(*args, **kwargs)
        if dropped:
            self.logger.info('train_dataloader: persistent_workers=False (each epoch starts its '
                             'workers from (seed, epoch, rank) so that --resume is exact)')

    def register_hooks(self, default_hooks=None, custom_hooks=None):
        super().register_hooks(default_hooks, custom_hooks)
        if not any(isinstance(hook, ExactResumeHook) for hook in self.hooks):
            self.register_hook(ExactResumeHook())
        if not any(isinstance(hook, RunSummaryHook) for hook in self.hooks):
            self.register_hook(RunSummaryHook())

    def setup_env(self, env_cfg):
        if self.distributed and not torch.cuda.is_available():
            env_cfg = copy.deepcopy(env_cfg)
            env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
            init_cpu_dist(self.launcher)
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg, model):
        if self.distributed and not torch.cuda.is_available():
            model_wrapper_cfg = cpu_ddp_cfg(model_wrapper_cfg,
                                            self.cfg.get('find_unused_parameters', False))
        return super().wrap_model(model_wrapper_cfg, model)

    @staticmethod
    def build_dataloader(dataloader, seed=None, diff_rank_seed=False):
        if isinstance(dataloader, dict) and 'worker_init_fn' not in dataloader:
            # mmengine's seeds each worker with seed + worker_id: the same augmentation in
            # every epoch; this one follows the epoch's seed (see mmnoisy.utils.seeding)
            dataloader = dict(dataloader, worker_init_fn=dict(type=seed_worker))
        return Runner.build_dataloader(unscoped_collate_fn(dataloader), seed=seed,
                                       diff_rank_seed=diff_rank_seed)

    def resume(self, filename, *args, **kwargs):
        """mmengine's resume; when the checkpoint is missing or damaged (a run killed while
        saving, a disk full), an error that says so and names the previous checkpoint."""
        try:
            return super().resume(filename, *args, **kwargs)
        except (FileNotFoundError, DamagedCheckpointError) as err:
            # a missing file (removed, or killed between mmengine's clean-up of old
            # checkpoints and its update of last_checkpoint): the newest complete one
            previous = previous_checkpoint(filename, older=osp.exists(filename))
            advice = (f'resume from the previous one: --resume {previous}' if previous else
                      'no earlier complete checkpoint is in its folder; start again without '
                      '--resume')
            raise DamagedCheckpointError(f'cannot resume from {filename}: {err}; {advice}') \
                from None

    def load_checkpoint(self, filename, map_location='cpu', strict=False,
                        revise_keys=[(r'^module\.', '')]):
        checkpoint = _load_checkpoint(filename, map_location=map_location)
        model = unwrap(self.model)
        # the keys as mmengine's loader matches them (a DDP checkpoint's net1.module.*)
        state = check_state_dict_matches(model, checkpoint.get('state_dict', checkpoint),
                                         source=f'checkpoint {filename}')
        if 'state_dict' in checkpoint:
            checkpoint['state_dict'] = state
        else:
            checkpoint = state
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        checkpoint = _load_checkpoint_to_model(model, checkpoint, strict,
                                               revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint


CHECKPOINT_NAME = re.compile(r'(epoch|iter)_(\d+)\.pth')


def previous_checkpoint(filename, older=True):
    """The latest complete ``epoch_N.pth`` / ``iter_N.pth`` beside ``filename``: with a smaller
    N than its own when ``older`` (and it has one), else any; None when there is none."""
    folder, name = osp.split(filename)
    own = CHECKPOINT_NAME.fullmatch(name) if older else None
    found = []
    for other in os.listdir(folder) if osp.isdir(folder) else []:
        match = CHECKPOINT_NAME.fullmatch(other)
        if match and (own is None or (match[1] == own[1] and int(match[2]) < int(own[2]))):
            found.append((int(match[2]), osp.join(folder, other)))
    for _, path in sorted(found, reverse=True):
        if checkpoint_file_problem(path) is None:
            return path
    return None
