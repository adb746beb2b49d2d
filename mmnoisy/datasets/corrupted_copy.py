"""``CorruptedCopyDataset``: DynaCor's corrupted copy of the data (Kim et al. 2024, Sec. 4.2).

The wrapped dataset's N samples keep their indices 0..N-1; ``int(gamma * N)`` copies follow as
rows N..N+M-1. A copy is a randomly chosen sample (without replacement) seen through a weak
augmentation (a ``crop``-pixel border cropped off and the image resized back, the authors'
ResNet recipe; or a horizontal flip, their CLIP recipe) whose label is replaced by a class drawn
uniformly from the classes other than its given (noisy) label. Copies are marked
``is_copy=1`` with ``source_idx`` pointing at their original, so that detection knows them.

Training on this dataset with a plain shuffled sampler is the authors' code (one loss over the
concatenation); the paper's Eq. 2 (separate means over originals and copies) is
``NoisyLabelDetectionHook(copy_loss='eq2')``.
"""
import copy
from dataclasses import dataclass
from typing import Optional

import numpy as np

from mmnoisy.datasets.noisy_dataset import UNKNOWN, find_noisy_dataset
from mmnoisy.registry import DATASETS
from .samplers import split_stream_index, tag_stream

AUGMENTATIONS = ('border_crop', 'hflip')


def corrupt_labels(labels, num_classes, count, seed=0):
    """Pick ``count`` rows of ``labels`` without replacement and give each a class drawn
    uniformly from the other ``num_classes - 1``. Returns (source_idx, corrupted_labels)."""
    labels = np.asarray(labels, np.int64)
    if int(num_classes) < 2:
        raise ValueError(f'corrupting labels needs at least 2 classes, the dataset has '
                         f'{num_classes}')
    if not 1 <= count <= len(labels):
        raise ValueError(f'cannot draw {count} copies from {len(labels)} samples')
    rng = np.random.default_rng(seed)
    source = np.sort(rng.choice(len(labels), int(count), replace=False))
    shift = rng.integers(1, num_classes, size=len(source))
    return source, (labels[source] + shift) % num_classes


def corrupt_image(img, aug='border_crop', crop=4):
    """The weak augmentation of a copy: HxW[xC] uint8 in, same shape out."""
    img = np.asarray(img)
    if aug == 'hflip':
        return np.ascontiguousarray(img[:, ::-1])
    if aug == 'border_crop':
        h, w = img.shape[:2]
        if 2 * crop >= min(h, w):
            raise ValueError(f'cannot crop {crop} px off each side of a {h}x{w} image')
        import mmcv
        inner = img[crop:h - crop, crop:w - crop]
        return mmcv.imresize(np.ascontiguousarray(inner), (w, h), interpolation='bicubic')
    raise ValueError(f'aug must be one of {AUGMENTATIONS}, got {aug!r}')


@DATASETS.register_module()
class CorruptedCopyDataset:
    """Append label-corrupted copies to ``dataset``.

    Args:
        dataset (dict | Dataset): the training set, usually a ``NoisyLabelDataset``.
        gamma (float): corruption rate in (0, 1]: int(gamma * N) copies (paper: 0.1).
        aug (str): 'border_crop' (ResNet recipe) or 'hflip' (CLIP recipe).
        crop (int): pixels cut off each side by 'border_crop' (authors: 4 on CIFAR).
        seed (int): fixes which samples are copied and their new labels.
    """

    #: takes the (index, stream) pairs of CoTrainingBatchSampler
    takes_stream_index = True

    def __init__(self, dataset, gamma=0.1, aug='border_crop', crop=4, seed=0,
                 lazy_init=False):
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        if not 0 < float(gamma) <= 1:
            raise ValueError(f'gamma (the corruption rate) must be in (0, 1], got {gamma}')
        if aug not in AUGMENTATIONS:
            raise ValueError(f'aug must be one of {AUGMENTATIONS}, got {aug!r}')
        self.dataset, self.gamma, self.aug, self.crop, self.seed = \
            dataset, float(gamma), aug, int(crop), int(seed)
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self):
        return copy.deepcopy(self.dataset.metainfo)

    @property
    def pipeline(self):
        noisy = find_noisy_dataset(self.dataset)
        inner = noisy.dataset if noisy is not None else self.dataset
        return inner.pipeline

    @property
    def num_classes(self):
        noisy = find_noisy_dataset(self.dataset)
        classes = self.dataset.metainfo.get('classes') if noisy is None else None
        if noisy is None and classes is None:
            raise ValueError(f'{type(self.dataset).__name__} has no classes in its metainfo')
        return noisy.num_classes if noisy is not None else len(classes)

    def full_init(self):
        if self._fully_initialized:
            return
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        labels = np.asarray(self.dataset.get_gt_labels(), np.int64)
        self.num_originals = len(labels)
        count = int(self.num_originals * self.gamma)
        if count < 1:
            raise ValueError(f'gamma={self.gamma} of {self.num_originals} samples makes no '
                             'copy; raise gamma')
        src, new = corrupt_labels(labels, self.num_classes, count, self.seed)
        self.source_idx = np.r_[np.arange(self.num_originals), src].astype(np.int64)
        self.is_copy = np.r_[np.zeros(self.num_originals, bool), np.ones(count, bool)]
        self.noisy_labels = np.r_[labels, new].astype(np.int64)
        noisy = find_noisy_dataset(self.dataset)
        clean = None
        if noisy is not None and noisy.noise.clean_labels is not None:
            clean = np.asarray(noisy.noise.clean_labels, np.int64)
        elif noisy is None:
            clean = labels  # a dataset without noise wrapper: its labels are taken as clean
        self.clean_labels = None if clean is None else clean[self.source_idx]
        self._fully_initialized = True

    @property
    def num_copies(self):
        return int(self.is_copy.sum())

    @property
    def is_noisy(self):
        """(N + M,) truth of "mislabelled" (copies included), or None when unknown."""
        if self.clean_labels is None:
            return None
        return self.noisy_labels != self.clean_labels

    def __len__(self):
        if not self._fully_initialized:
            self.full_init()
        return len(self.noisy_labels)

    def get_gt_labels(self):
        return self.noisy_labels.copy()

    def get_data_info(self, idx):
        if not self._fully_initialized:
            self.full_init()
        idx = int(idx)
        if idx < 0:
            idx += len(self)
        src = int(self.source_idx[idx])
        info = self.dataset.get_data_info(src)
        info['sample_idx'] = idx
        info['source_idx'] = src
        info['is_copy'] = int(self.is_copy[idx])
        if self.is_copy[idx]:
            if 'img' not in info:
                import mmcv
                info['img'] = mmcv.imread(info['img_path'])
            info['img'] = corrupt_image(info['img'], self.aug, self.crop)
            info['gt_label'] = int(self.noisy_labels[idx])
            if self.clean_labels is not None:
                info['clean_label'] = int(self.clean_labels[idx])
                info['is_noisy'] = int(self.noisy_labels[idx] != self.clean_labels[idx])
            else:
                info['clean_label'] = info['is_noisy'] = UNKNOWN
        return info

    def __getitem__(self, idx):
        idx, stream = split_stream_index(idx)
        info = self.get_data_info(idx)
        pipeline = self.pipeline
        if not info['is_copy'] or 'img_path' not in info:
            return tag_stream(pipeline(info), stream)
        # the copy's image is already in memory: skip the loading transform
        for t in pipeline.transforms:
            if type(t).__name__ == 'LoadImageFromFile':
                continue
            info = t(info)
            if info is None:
                return None
        return tag_stream(info, stream)

    def __repr__(self):
        return (f'{type(self).__name__}(dataset={type(self.dataset).__name__}, '
                f'gamma={self.gamma}, aug={self.aug!r}, originals={self.num_originals}, '
                f'copies={self.num_copies})')


def find_corrupted_copies(dataset):
    """The CorruptedCopyDataset inside ``dataset`` (through mmengine wrappers), or None."""
    for _ in range(10):
        if dataset is None:
            return None
        if isinstance(dataset, CorruptedCopyDataset):
            return dataset
        dataset = getattr(dataset, 'dataset', None)
    return None


@dataclass(frozen=True)
class SampleInfo:
    """What is known about every training row, looked up once per run (``sample_info``) and
    carried by the per-sample record (``SampleRecord.info``) for the hooks that read it.

    Attributes:
        labels: the given (noisy) label of every row; None when the training set is not a
            ``NoisyLabelDataset`` (nor holds one).
        clean_labels: the true labels (synthetic noise), None when unknown.
        is_copy: True for DynaCor's corrupted copies (rows N..N+M-1), None without copies.
        source_idx: the original row each copy was made from, None without copies.
    """
    labels: Optional[np.ndarray] = None
    clean_labels: Optional[np.ndarray] = None
    is_copy: Optional[np.ndarray] = None
    source_idx: Optional[np.ndarray] = None

    @property
    def is_noisy(self):
        """labels != clean_labels for every row, or None when either is unknown."""
        if self.labels is None or self.clean_labels is None:
            return None
        return self.labels != self.clean_labels

    def arrays(self):
        """The known fields as {name: array} (the names of ``sample_record.npz``)."""
        named = dict(noisy_labels=self.labels, clean_labels=self.clean_labels,
                     is_copy=self.is_copy, source_idx=self.source_idx)
        return {k: v for k, v in named.items() if v is not None}


def sample_info(dataset):
    """The :class:`SampleInfo` of a training set (through mmengine's wrappers)."""
    copies = find_corrupted_copies(dataset)
    if copies is not None:
        return SampleInfo(copies.noisy_labels, copies.clean_labels, copies.is_copy,
                          copies.source_idx)
    noisy = find_noisy_dataset(dataset)
    if noisy is None:
        return SampleInfo()
    return SampleInfo(noisy.noise.noisy_labels, noisy.noise.clean_labels)


def training_label_info(dataset):
    """(noisy_labels, clean_labels or None, is_copy or None) of every training row."""
    info = sample_info(dataset)
    return info.labels, info.clean_labels, info.is_copy


__all__ = ['CorruptedCopyDataset', 'corrupt_labels', 'corrupt_image', 'find_corrupted_copies',
           'SampleInfo', 'sample_info', 'training_label_info']
