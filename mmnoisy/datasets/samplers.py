"""``MultiPassSampler``: several shuffled passes over the data in one epoch (RoLR)."""
import torch
from mmengine.dataset import DefaultSampler

from mmnoisy.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class MultiPassSampler(DefaultSampler):
    """``DefaultSampler`` whose epoch is ``passes`` passes over the dataset, each with its own
    shuffle (RoLR's labelled loop runs I = 2 passes per epoch). Sharding across ranks and
    round-up work as in ``DefaultSampler``, pass by pass; the order is fixed by the seed and
    the epoch (``DistSamplerSeedHook``), so a resumed run sees the same batches."""

    def __init__(self, dataset, passes=2, shuffle=True, seed=None, round_up=True):
        if int(passes) < 1:
            raise ValueError(f'passes must be >= 1, got {passes}')
        super().__init__(dataset, shuffle=shuffle, seed=seed, round_up=round_up)
        self.passes = int(passes)

    def __iter__(self):
        n = len(self.dataset)
        out = []
        for p in range(self.passes):
            if self.shuffle:
                g = torch.Generator()
                g.manual_seed(self.seed + self.epoch * self.passes + p)
                indices = torch.randperm(n, generator=g).tolist()
            else:
                indices = list(range(n))
            if self.round_up:
                indices = (indices * int(self.total_size / n + 1))[:self.total_size]
            out.extend(indices[self.rank:self.total_size:self.world_size])
        return iter(out)

    def __len__(self):
        return self.num_samples * self.passes
