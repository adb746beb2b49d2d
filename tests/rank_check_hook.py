"""Test helper: after training, check that every rank holds rank 0's networks and confidence
tables, and write the verdict to {work_dir}/rank_check_{rank}.txt."""
import os.path as osp

import torch
from mmengine.dist import broadcast, get_rank
from mmengine.hooks import Hook

from mmnoisy.engine.utils import unwrap
from mmnoisy.registry import HOOKS


@HOOKS.register_module()
class RankCheckHook(Hook):
    priority = 'LOWEST'

    def after_train(self, runner):
        model = unwrap(runner.model)
        lines = []
        for name in model.networks:
            net = getattr(model, name)
            equal = True
            # parameters (gradients synchronised); BN running statistics are per rank
            # (broadcast_buffers=False), as in any DDP run without buffer broadcasting
            for p in net.parameters():
                ref = p.detach().clone()
                broadcast(ref, 0)
                equal &= torch.equal(ref, p.detach())
            lines.append(f"{name} {'equal' if equal else 'DIFFERENT'}")
        tables = torch.stack([model.selection(n).trust.float() for n in model.networks])
        ref = tables.clone()
        broadcast(ref, 0)
        lines.append(f"trust {'equal' if torch.equal(ref, tables) else 'DIFFERENT'}")
        with open(osp.join(runner.work_dir, f'rank_check_{get_rank()}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')


@HOOKS.register_module()
class WeightCheckHook(Hook):
    """After training: whether every rank holds rank 0's single network and per-sample
    weights (HMW), written to {work_dir}/weight_check_{rank}.txt."""
    priority = 'LOWEST'

    def after_train(self, runner):
        model = unwrap(runner.model)
        same = True
        for p in model.parameters():
            ref = p.detach().clone()
            broadcast(ref, 0)
            same &= torch.equal(ref, p.detach())
        weights = model.sample_weights.clone()
        ref = weights.clone()
        broadcast(ref, 0)
        lines = [f"net {'equal' if same else 'DIFFERENT'}",
                 f"weights {'equal' if torch.equal(ref, weights) else 'DIFFERENT'}"]
        with open(osp.join(runner.work_dir, f'weight_check_{get_rank()}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
