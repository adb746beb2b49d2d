"""``MultiPassSampler``: several shuffled passes over the data in one epoch (RoLR); and
``CoTrainingBatchSampler``: the labelled / unlabelled streams of DivideMix, UNICON, VRLVMix."""
import numpy as np
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


# --------------------------------------------------------------------------------------------
# Two-stream batches of the two-network semi-supervised learners (DivideMix, UNICON, VRLVMix)

# the stream code a sample of a two-stream batch carries (``data_sample.stream``):
# 2 k = labelled for network k (every sample in warm-up), 2 k + 1 = unlabelled for network k

ORDERS = ('alternating', 'interleaved')


def _rank_share(indices, rng, rank, world_size):
    """This rank's part of a shuffle of ``indices``: the permutation is padded by wrapping
    around to a multiple of ``world_size`` (as ``DefaultSampler(round_up=True)``) and rank r
    takes every world_size-th entry from r, so ranks draw disjoint parts of equal size."""
    perm = indices[rng.permutation(len(indices))]
    total = -(-len(perm) // world_size) * world_size
    return np.resize(perm, total)[rank::world_size]


def _chunks(x, size, drop_last):
    stop = len(x) - len(x) % size if drop_last else len(x)
    return [x[i:i + size] for i in range(0, stop, size)]


def unicon_unlabelled_batch_size(batch_size, labelled_fraction):
    """UNICON's unlabelled batch: int(B / (2 SR)) for labelled batch B and selection ratio SR
    (the share of the training set selected as labelled; authors' ``dataloader_cifar.py``)."""
    return max(1, int(batch_size / (2 * max(labelled_fraction, 1e-12))))


def stream_batches(num_samples, labelled, *, seed, epoch, batch_size,
                   unlabelled_batch_size=None, order='alternating', drop_last=False,
                   unlabelled_drop_last=None, passes=1, rank=0, world_size=1):
    """The batches of one epoch of two-stream training, as (indices, stream codes) pairs.

    Each network k draws its own shuffle of its labelled set (``labelled[k]``, a bool mask of
    length ``num_samples``; ``labelled=None`` is warm-up: every sample is "labelled" for both
    networks) in batches of ``batch_size``; the epoch of network k is its labelled set once
    (``ceil(n / B)`` batches, ``floor`` with ``drop_last``), as the authors' labelled loader,
    or ``passes`` such passes, each its own shuffle (RoLR's loop: I = 2).
    Each labelled batch comes with an unlabelled batch of ``unlabelled_batch_size`` (an int,
    ``'unicon'`` for :func:`unicon_unlabelled_batch_size`, None = ``batch_size``) drawn from
    the network's own shuffles of the rest, a fresh shuffle whenever one is used up (the
    authors' ``unlabeled_train_iter`` restarted on ``StopIteration``).

    ``order='alternating'``: network 1's whole epoch, then network 2's (the authors' loop:
    ``train(net1, ...)`` then ``train(net2, ...)``); ``'interleaved'``: iteration i holds both
    networks' i-th batches (a network whose epoch is over has none). Every draw comes from
    ``numpy.random.default_rng([seed, epoch, k])``, so an epoch's batches are fixed by the
    seed, the epoch and the masks; ranks draw disjoint, equally long parts.
    """
    if order not in ORDERS:
        raise ValueError(f'order must be one of {ORDERS}, got {order!r}')
    if batch_size < 1 or passes < 1:
        raise ValueError(f'batch_size and passes must be >= 1, got {batch_size}, {passes}')
    unlabelled_drop_last = drop_last if unlabelled_drop_last is None else unlabelled_drop_last
    parts = []
    for k in range(2):
        rng = np.random.default_rng([int(seed), int(epoch), k])
        if labelled is None:
            lab_ids, unl_ids = np.arange(num_samples), np.zeros(0, np.int64)
        else:
            mask = np.asarray(labelled[k], bool)
            if mask.shape != (num_samples, ):
                raise ValueError(f'labelled mask of network {k + 1} has shape {mask.shape}, '
                                 f'expected ({num_samples},)')
            lab_ids, unl_ids = np.flatnonzero(mask), np.flatnonzero(~mask)
        lab = []
        for _ in range(passes if len(lab_ids) else 0):
            lab.extend(_chunks(_rank_share(lab_ids, rng, rank, world_size), batch_size,
                               drop_last))
        unl = []
        if len(unl_ids) and lab:
            if unlabelled_batch_size == 'unicon':
                bu = unicon_unlabelled_batch_size(batch_size, len(lab_ids) / num_samples)
            else:
                bu = int(unlabelled_batch_size or batch_size)
            while len(unl) < len(lab):
                share = _rank_share(unl_ids, rng, rank, world_size)
                unl.extend(_chunks(share, min(bu, len(share)), unlabelled_drop_last))
        empty = np.zeros(0, np.int64)
        parts.append([(np.concatenate([lb, unl[i] if unl else empty]),
                       np.repeat([2 * k, 2 * k + 1], [len(lb), len(unl[i]) if unl else 0]))
                      for i, lb in enumerate(lab)])
    if order == 'alternating':
        return parts[0] + parts[1]
    out = []
    for i in range(max(len(parts[0]), len(parts[1]))):
        here = [p[i] for p in parts if i < len(p)]
        out.append((np.concatenate([h[0] for h in here]), np.concatenate([h[1] for h in here])))
    return out


@DATA_SAMPLERS.register_module()
class CoTrainingBatchSampler:
    """Batches of two streams per network, as the authors' DivideMix / UNICON / VRLVMix code
    draws them: a labelled batch from the network's labelled set and an unlabelled batch
    from the rest, each network with its own shuffles (:func:`stream_batches`).

    Each index it yields is a pair ``(sample index, stream code)``; the dataset
    (``NoisyLabelDataset``) puts the code into the sample's metainfo as ``stream``, from
    which the learner takes each network's rows. The labelled sets come, at the start of
    each epoch, from the learner's selection (``CoTrainingHook`` connects the two:
    ``labelled_sets(epoch)``, None in warm-up).

    Args:
        sampler: the dataloader's sampler (``DefaultSampler``); it supplies the dataset
            size, the seed, the rank and world size, and the epoch (``DistSamplerSeedHook``).
        batch_size (int): labelled batch per rank (the dataloader's ``batch_size``).
        unlabelled_batch_size (int | str | None): None = ``batch_size``; ``'unicon'`` =
            int(B / (2 SR)) (UNICON).
        warmup_batch_size (int | None): batch of the warm-up epochs (the authors' warm-up
            loader has ``2 * batch_size``); None = ``batch_size``.
        order (str): 'alternating' (network 1's epoch, then network 2's: the authors' loop)
            or 'interleaved' (both networks each iteration).
        passes (int): passes over the labelled set in a network's epoch after warm-up (RoLR:
            2); warm-up epochs are one pass.
        drop_last (bool): drop the last short labelled batch (UNICON: True; DivideMix: False).
        unlabelled_drop_last (bool | None): the same for the unlabelled stream (None: as
            ``drop_last``).
    """

    def __init__(self, sampler, batch_size, unlabelled_batch_size=None, warmup_batch_size=None,
                 order='alternating', drop_last=False, unlabelled_drop_last=None, passes=1):
        if order not in ORDERS:
            raise ValueError(f'CoTrainingBatchSampler order must be one of {ORDERS}, '
                             f'got {order!r}')
        if not (unlabelled_batch_size is None or unlabelled_batch_size == 'unicon'
                or (isinstance(unlabelled_batch_size, int) and unlabelled_batch_size > 0)):
            raise ValueError("unlabelled_batch_size must be a positive int, 'unicon' or None, "
                             f'got {unlabelled_batch_size!r}')
        if int(batch_size) < 1 or (warmup_batch_size is not None and int(warmup_batch_size) < 1):
            raise ValueError(f'batch sizes must be >= 1, got {batch_size}, {warmup_batch_size}')
        if int(passes) < 1:
            raise ValueError(f'passes must be >= 1, got {passes}')
        self.passes = int(passes)
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.unlabelled_batch_size = unlabelled_batch_size
        self.warmup_batch_size = int(warmup_batch_size or batch_size)
        self.order, self.drop_last = order, bool(drop_last)
        self.unlabelled_drop_last = unlabelled_drop_last
        #: callable(epoch) -> None (warm-up) or two bool masks; set by CoTrainingHook
        self.labelled_sets = None
        self._batches, self._epoch = None, None

    def _num_samples(self):
        return len(self.sampler.dataset)

    def plan(self, epoch):
        """This rank's batches of ``epoch``, from the labelled sets the learner has now (called
        when the epoch's iteration starts, after the selection hooks have run)."""
        if self.labelled_sets is None:
            raise RuntimeError('CoTrainingBatchSampler draws from the learner\'s labelled '
                               'sets: add CoTrainingHook to custom_hooks (it connects them)')
        labelled = self.labelled_sets(epoch)
        self._batches = stream_batches(
            self._num_samples(), labelled, seed=getattr(self.sampler, 'seed', 0) or 0,
            epoch=epoch, batch_size=self.warmup_batch_size if labelled is None
            else self.batch_size, unlabelled_batch_size=self.unlabelled_batch_size,
            order=self.order, drop_last=self.drop_last and labelled is not None,
            unlabelled_drop_last=self.unlabelled_drop_last,
            passes=1 if labelled is None else self.passes, rank=getattr(self.sampler, 'rank', 0), world_size=getattr(self.sampler, 'world_size', 1))
        self._epoch = epoch
        return self._batches

    def _epoch_now(self):
        return int(getattr(self.sampler, 'epoch', 0))

    def __iter__(self):
        for idx, codes in self.plan(self._epoch_now()):
            yield list(zip(idx.tolist(), codes.tolist()))

    def __len__(self):
        if self._batches is not None and self._epoch == self._epoch_now():
            return len(self._batches)
        # before the epoch's batches are drawn (mmengine asks at build time): the length of
        # a warm-up epoch
        per_rank = -(-self._num_samples() // getattr(self.sampler, 'world_size', 1))
        return (2 if self.order == 'alternating' else 1) * -(-per_rank // self.warmup_batch_size)


def split_stream_index(idx):
    """(sample index, stream code or None) of what a dataloader hands a dataset: a plain index,
    or the ``(index, code)`` pair of :class:`CoTrainingBatchSampler`."""
    if isinstance(idx, tuple):
        return int(idx[0]), int(idx[1])
    return idx, None


def tag_stream(sample, stream):
    """Put the stream code into a packed sample's metainfo (no-op for None)."""
    if stream is not None:
        samples = sample['data_samples']
        samples.set_metainfo(dict(stream=stream))
    return sample
