"""Datasets of image files listed with labels: Animal-10N, Clothing1M, mini-WebVision and
the ILSVRC2012 validation set, in their standard distributed layouts.

These are real-world noisy datasets: their training labels are already noisy and the clean
labels are unknown (``labels_are_noisy = True``), so the noise wrapper reports no noise rate
for them. Images are read from disk by the pipeline (``LoadImageFromFile``).
"""
import os
import os.path as osp
import re

import numpy as np
from mmpretrain.datasets import BaseDataset

from mmnoisy.registry import DATASETS

from .base import LabelArrayMixin


def _require(path, what, hint):
    if not osp.exists(path):
        raise FileNotFoundError(f'{what} not found: looked for {osp.abspath(path)}. {hint}')
    return path


def read_pairs(path):
    """Lines 'relative/path label' -> list of (path, int label)."""
    pairs = []
    with open(path) as f:
        for num, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) < 2:
                raise ValueError(f'{path}:{num}: expected "path label", got {line.strip()!r}')
            pairs.append((parts[0], int(parts[-1])))
    return pairs


class _FileListDataset(LabelArrayMixin, BaseDataset):
    labels_are_noisy = False

    def __init__(self, data_root='', **kwargs):
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def _items(self):
        raise NotImplementedError

    def load_data_list(self):
        items = self._items()
        self._gt_labels = np.array([lab for _, lab in items], np.int64)
        return [dict(img_path=osp.join(self.data_root, p), gt_label=lab) for p, lab in items]


ANIMAL10N_CLASSES = ('cat', 'lynx', 'wolf', 'coyote', 'cheetah', 'jaguar', 'chimpanzee',
                     'orangutan', 'hamster', 'guinea pig')


@DATASETS.register_module()
class Animal10N(_FileListDataset):
    """Animal-10N (Song et al. 2019): ``data_root/{training,testing}/{label}_{id}.jpg``,
    the label being the (noisy, for training) class index in the file name."""
    METAINFO = {'classes': ANIMAL10N_CLASSES}
    name_re = re.compile(r'^(\d+)_.*\.(jpg|jpeg|png)$', re.IGNORECASE)

    def __init__(self, data_root='', split='train', **kwargs):
        if split not in ('train', 'test'):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        self.split = split
        self.labels_are_noisy = split == 'train'
        kwargs.setdefault('test_mode', split == 'test')
        super().__init__(data_root=data_root, **kwargs)

    def _items(self):
        sub = 'training' if self.split == 'train' else 'testing'
        folder = _require(osp.join(self.data_root, sub), 'Animal-10N images',
                          'Unpack the Animal-10N release so that data_root holds '
                          'training/ and testing/.')
        items = []
        for name in sorted(os.listdir(folder)):
            match = self.name_re.match(name)
            if match:
                items.append((osp.join(sub, name), int(match.group(1))))
        if not items:
            raise FileNotFoundError(f'no images named LABEL_ID.jpg in {folder}')
        return items


CLOTHING1M_CLASSES = ('T-Shirt', 'Shirt', 'Knitwear', 'Chiffon', 'Sweater', 'Hoodie',
                      'Windbreaker', 'Jacket', 'Down Coat', 'Suit', 'Shawl', 'Dress', 'Vest',
                      'Underwear')


@DATASETS.register_module()
class Clothing1M(_FileListDataset):
    """Clothing1M (Xiao et al. 2015) in its distributed layout: ``images/`` plus
    ``noisy_label_kv.txt``, ``clean_label_kv.txt`` and the key lists
    ``noisy_train_key_list.txt``, ``clean_{train,val,test}_key_list.txt``.

    split: 'noisy_train' (1M web labels), 'clean_train', 'clean_val' or 'clean_test'.
    """
    METAINFO = {'classes': CLOTHING1M_CLASSES}
    splits = {'noisy_train': ('noisy_train_key_list.txt', 'noisy_label_kv.txt'),
              'clean_train': ('clean_train_key_list.txt', 'clean_label_kv.txt'),
              'clean_val': ('clean_val_key_list.txt', 'clean_label_kv.txt'),
              'clean_test': ('clean_test_key_list.txt', 'clean_label_kv.txt')}

    def __init__(self, data_root='', split='noisy_train', **kwargs):
        if split not in self.splits:
            raise ValueError(f'split must be one of {sorted(self.splits)}, got {split!r}')
        self.split = split
        self.labels_are_noisy = split == 'noisy_train'
        kwargs.setdefault('test_mode', split != 'noisy_train')
        super().__init__(data_root=data_root, **kwargs)

    def _items(self):
        key_file, label_file = self.splits[self.split]
        hint = 'data_root must hold the Clothing1M annotation files and images/.'
        labels = dict(read_pairs(_require(osp.join(self.data_root, label_file),
                                          'Clothing1M labels', hint)))
        with open(_require(osp.join(self.data_root, key_file), 'Clothing1M key list',
                           hint)) as f:
            keys = [line.strip() for line in f if line.strip()]
        missing = [k for k in keys if k not in labels]
        if missing:
            raise ValueError(f'{len(missing)} images of {key_file} have no label in '
                             f'{label_file}, e.g. {missing[0]}')
        return [(k, labels[k]) for k in keys]


def imagenet_class_names(num_classes):
    """The first ``num_classes`` ImageNet classes (WebVision 1.0 uses the same order), each
    by its first WordNet lemma ('tench', 'goldfish', ...)."""
    from mmpretrain.datasets.categories import IMAGENET_CATEGORIES
    if not 0 < num_classes <= len(IMAGENET_CATEGORIES):
        raise ValueError(f'num_classes must be in 1..{len(IMAGENET_CATEGORIES)}, got '
                         f'{num_classes}')
    return [name.split(',')[0] for name in IMAGENET_CATEGORIES[:num_classes]]


@DATASETS.register_module()
class MiniWebVision(_FileListDataset):
    """mini-WebVision: the Google images of the first ``num_classes`` (50) WebVision 1.0
    classes. Layout: ``info/train_filelist_google.txt``, ``info/val_filelist.txt``,
    ``google/`` and ``val_images_256/`` under ``data_root``. split: 'train' or 'val'."""

    def __init__(self, data_root='', split='train', num_classes=50, **kwargs):
        if split not in ('train', 'val'):
            raise ValueError(f"split must be 'train' or 'val', got {split!r}")
        self.split, self.num_classes = split, num_classes
        self.labels_are_noisy = split == 'train'
        kwargs.setdefault('test_mode', split == 'val')
        kwargs.setdefault('metainfo', dict(classes=imagenet_class_names(num_classes)))
        super().__init__(data_root=data_root, **kwargs)

    def _items(self):
        name = 'train_filelist_google.txt' if self.split == 'train' else 'val_filelist.txt'
        path = _require(osp.join(self.data_root, 'info', name), 'WebVision file list',
                        'data_root must hold WebVision 1.0 (info/, google/, val_images_256/).')
        prefix = '' if self.split == 'train' else 'val_images_256'
        return [(osp.join(prefix, p), lab) for p, lab in read_pairs(path)
                if lab < self.num_classes]


@DATASETS.register_module()
class ImageNetVal(_FileListDataset):
    """The ILSVRC2012 validation images of the first ``num_classes`` classes, as mini-WebVision
    is evaluated. Layout as mmpretrain's ImageNet: ``data_root/val/`` and an annotation file
    ``data_root/meta/val.txt`` of 'file label' lines (0-999 in the standard synset order)."""

    def __init__(self, data_root='', ann_file='meta/val.txt', data_prefix='val',
                 num_classes=50, **kwargs):
        self.list_file, self.prefix, self.num_classes = ann_file, data_prefix, num_classes
        kwargs.setdefault('test_mode', True)
        kwargs.setdefault('metainfo', dict(classes=imagenet_class_names(num_classes)))
        super().__init__(data_root=data_root, **kwargs)

    def _items(self):
        path = _require(osp.join(self.data_root, self.list_file), 'ImageNet val list',
                        'Use the mmpretrain ImageNet layout (meta/val.txt, val/).')
        return [(osp.join(self.prefix, p), lab) for p, lab in read_pairs(path)
                if lab < self.num_classes]
