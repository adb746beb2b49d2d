"""``NoisyRunner``: mmengine's Runner with the fixes of :mod:`mmnoisy.compat` applied.

- distributed runs without CUDA use gloo and a DDP wrapper with ``device_ids=None``;
- a ``collate_fn`` inherited from a config of this package (``_scope_`` set) builds;
- checkpoints load with ``weights_only=True`` and an allow-list (compat registers the
  loaders), and one that does not fit the model is an error that says how, instead of
  mmengine's warning followed by training or testing a half-loaded model.
"""
import copy

import torch
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint, _load_checkpoint_to_model

from mmnoisy.compat import (check_state_dict_matches, cpu_ddp_cfg, init_cpu_dist,
                            unscoped_collate_fn)
from mmnoisy.engine.utils import unwrap
from mmnoisy.registry import RUNNERS


@RUNNERS.register_module()
class NoisyRunner(Runner):

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
        return Runner.build_dataloader(unscoped_collate_fn(dataloader), seed=seed,
                                       diff_rank_seed=diff_rank_seed)

    def load_checkpoint(self, filename, map_location='cpu', strict=False,
                        revise_keys=[(r'^module\.', '')]):
        checkpoint = _load_checkpoint(filename, map_location=map_location)
        model = unwrap(self.model)
        check_state_dict_matches(model, checkpoint.get('state_dict', checkpoint),
                                 source=f'checkpoint {filename}')
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        checkpoint = _load_checkpoint_to_model(model, checkpoint, strict,
                                               revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint
