"""CIFAR-10 / CIFAR-100 read from the official python layout, without insisting on a download.

mmpretrain's loaders check the official md5 sums at every start and try to download when
they differ, which breaks rebuilt copies and offline machines. Here the files are used when
present; md5 checking is optional (``check_md5=True``: a mismatch is an error, never a
silent re-download); ``download=True`` fetches and unpacks the archive when they are missing.
CIFAR-100 also keeps each sample's coarse (superclass) label for superclass noise.
"""
import hashlib
import os.path as osp
import pickle

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.datasets.categories import CIFAR10_CATEGORIES, CIFAR100_CATEGORIES

from mmnoisy.registry import DATASETS
from mmnoisy.taxonomy.trees import CIFAR100_COARSE

from .base import LabelArrayMixin


def _md5(path):
    digest = hashlib.md5()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


@DATASETS.register_module()
class CIFAR10(LabelArrayMixin, BaseDataset):
    """CIFAR-10 from ``data_root/cifar-10-batches-py``.

    Args:
        data_root (str): folder that holds ``cifar-10-batches-py/``.
        split (str): 'train' or 'test'.
        download (bool): download the official archive when the files are missing.
        check_md5 (bool): compare the files with the official md5 sums.
        url (str): where to download from (default: the official address).
    """
    base_folder = 'cifar-10-batches-py'
    url = 'https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz'
    archive_md5 = 'c58f30108f718f92721af3b95e74349a'
    train_list = [('data_batch_1', 'c99cafc152244af753f735de768cd75f'),
                  ('data_batch_2', 'd4bba439e000b95fd0a9bffe97cbabec'),
                  ('data_batch_3', '54ebc095f3ab1f0389bbae665268c751'),
                  ('data_batch_4', '634d18415352ddfa80567beed471001a'),
                  ('data_batch_5', '482c414d41f54cd18b22e5b47cb7c3cb')]
    test_list = [('test_batch', '40351d587109b95175f43aff81a1287e')]
    meta_file = ('batches.meta', 'label_names', '5ff9c542aee3614f3951f8cda6e48888')
    label_key = 'labels'
    METAINFO = {'classes': CIFAR10_CATEGORIES}

    def __init__(self, data_root='', split='train', download=False, check_md5=False,
                 url=None, **kwargs):
        if split not in ('train', 'test'):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        self.split = split
        self.download = download
        self.check_md5 = check_md5
        if url is not None:
            self.url = url
        kwargs.setdefault('test_mode', split == 'test')
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    @property
    def folder(self):
        return osp.join(self.data_root, self.base_folder)

    def _files(self):
        batches = self.train_list if self.split == 'train' else self.test_list
        return batches + [self.meta_file[::2]]

    def _ensure_files(self):
        missing = [n for n, _ in self._files() if not osp.isfile(osp.join(self.folder, n))]
        if missing and self.download:
            from mmpretrain.datasets.utils import download_and_extract_archive
            download_and_extract_archive(
                self.url, download_root=self.data_root,
                md5=self.archive_md5 if self.check_md5 else None)
            missing = [n for n, _ in self._files()
                       if not osp.isfile(osp.join(self.folder, n))]
        if missing:
            raise FileNotFoundError(
                f'{type(self).__name__} files not found: looked for {missing} in '
                f'{osp.abspath(self.folder)}. Download {self.url} and unpack it into '
                f'{osp.abspath(self.data_root) or "data_root"}, or set download=True.')
        if self.check_md5:
            for name, md5 in self._files():
                got = _md5(osp.join(self.folder, name))
                if got != md5:
                    raise ValueError(
                        f'{osp.join(self.folder, name)} has md5 {got}, not the official '
                        f'{md5}; set check_md5=False to use a rebuilt copy')

    def _read_batches(self):
        datas, labels, extra = [], [], {}
        for name, _ in (self.train_list if self.split == 'train' else self.test_list):
            with open(osp.join(self.folder, name), 'rb') as f:
                entry = pickle.load(f, encoding='latin1')
            datas.append(np.asarray(entry['data'], dtype=np.uint8))
            labels.extend(entry[self.label_key])
            for key in self.extra_keys():
                extra.setdefault(key, []).extend(entry[key])
        images = np.concatenate(datas).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return np.ascontiguousarray(images), np.asarray(labels, np.int64), extra

    def extra_keys(self):
        return []

    def load_data_list(self):
        self._ensure_files()
        images, labels, _ = self._read_batches()
        self._gt_labels = labels
        return [dict(img=img, gt_label=int(lab)) for img, lab in zip(images, labels)]


@DATASETS.register_module()
class CIFAR100(CIFAR10):
    """CIFAR-100 from ``data_root/cifar-100-python``; samples carry ``coarse_label``."""
    base_folder = 'cifar-100-python'
    url = 'https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz'
    archive_md5 = 'eb9058c3a382ffc7106e4002c42a8d85'
    train_list = [('train', '16019d7e3df5f24257cddd939b257f8d')]
    test_list = [('test', 'f0ef6b0ae62326f3e7ffdfab6717acfc')]
    meta_file = ('meta', 'fine_label_names', '7973b15100ade9c7d40fb424638fde48')
    label_key = 'fine_labels'
    METAINFO = {'classes': CIFAR100_CATEGORIES, 'coarse_classes': CIFAR100_COARSE}

    def extra_keys(self):
        return ['coarse_labels']

    def load_data_list(self):
        self._ensure_files()
        images, labels, extra = self._read_batches()
        coarse = np.asarray(extra['coarse_labels'], np.int64)
        self._gt_labels, self._coarse_labels = labels, coarse
        return [dict(img=img, gt_label=int(lab), coarse_label=int(c))
                for img, lab, c in zip(images, labels, coarse)]

    def get_coarse_labels(self):
        if len(self._coarse_labels) != len(self):  # subset taken with ``indices``
            return np.array([self.get_data_info(i)['coarse_label'] for i in range(len(self))])
        return self._coarse_labels.copy()
