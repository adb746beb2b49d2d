"""Random streams that a resumed run can rebuild: each epoch's from (seed, epoch, rank), each
data worker's from its epoch's stream.

MMEngine seeds the global generators once, at start-up, and seeds every data worker with
``seed + num_workers * rank + worker_id``. Neither survives a resume: the state the global
generators reached by epoch N (random crops with ``num_workers=0``, dropout, ...) is not in a
checkpoint, and workers seeded that way give the same augmentation in every epoch (or, when
persistent, carry their state across epochs where no checkpoint sees it). Here:

- :func:`seed_epoch` re-seeds ``random``, numpy and torch at the start of each training epoch
  from :func:`epoch_seed` (``ExactResumeHook`` calls it before anything else of the epoch);
- :func:`seed_worker` seeds a worker's ``random`` and numpy from the seed torch gave that
  worker, ``base_seed + worker_id``, where ``base_seed`` is drawn from the main process's torch
  generator when the epoch's iterator starts, i.e. after :func:`seed_epoch`.

So an epoch's randomness depends only on (seed, epoch, rank, worker), and a run resumed from
the checkpoint of epoch N repeats epochs N+1, ... exactly. Persistent workers cannot follow
(their generators carry over between epochs), so the training loader runs without them.
"""
import random

import numpy as np
import torch


def epoch_seed(seed, epoch, rank=0):
    """The 63-bit seed of training epoch ``epoch`` (0-based) on ``rank`` of a run seeded with
    ``seed``: numpy's SeedSequence of the three, so nearby inputs give unrelated streams."""
    words = np.random.SeedSequence([int(seed) % 2**63, int(epoch), int(rank)]).generate_state(
        2, dtype=np.uint32)
    return int(words[0]) << 31 | int(words[1]) >> 1


def seed_all(value):
    """Seed ``random``, numpy's global generator and torch (CPU and every CUDA device)."""
    value = int(value)
    random.seed(value)
    np.random.seed(value % 2**32)
    torch.manual_seed(value)


def seed_epoch(seed, epoch, rank=0):
    """Seed the global generators for training epoch ``epoch`` (see the module's doc)."""
    value = epoch_seed(seed, epoch, rank)
    seed_all(value)
    return value


def seed_worker(worker_id):
    """``worker_init_fn`` of every loader ``NoisyRunner`` builds: the worker's ``random`` and
    numpy from ``torch.initial_seed()`` (torch seeds each worker with ``base_seed +
    worker_id``; ``base_seed`` comes from the main process's torch generator)."""
    seed_all(torch.initial_seed() % 2**63)
