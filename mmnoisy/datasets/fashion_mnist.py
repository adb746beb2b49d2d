"""Fashion-MNIST read from its four idx files, compressed or not, without insisting on md5 sums.

mmpretrain's ``FashionMNIST`` wants the files unpacked and downloads (checking the md5 of the
archives) when they are not; Debian's ``dataset-fashion-mnist`` package ships them recompressed
(other md5 sums) in ``/usr/share/datasets/fashion-mnist``. Here ``NAME.gz`` or ``NAME`` is read
from ``data_root`` as found; ``download=True`` fetches the missing ones.
"""
import gzip
import os
import os.path as osp

import numpy as np
from mmpretrain.datasets import BaseDataset

from mmnoisy.registry import DATASETS
from mmnoisy.taxonomy.trees import FASHION_MNIST_CLASSES

from .base import LabelArrayMixin

# the dtype code of an idx file's magic number -> numpy type (big-endian)
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: '>i2', 0x0C: '>i4', 0x0D: '>f4', 0x0E: '>f8'}


def read_idx(path):
    """The array in an idx file (``.gz`` or not): magic ``0 0 TYPE NDIM``, NDIM big-endian
    int32 sizes, then the data. A file whose length does not match its header is an error
    naming the file."""
    opener = gzip.open if path.endswith('.gz') else open
    try:
        with opener(path, 'rb') as f:
            data = f.read()
    except (OSError, EOFError) as e:  # gzip: truncated or not gzip at all
        raise ValueError(f'{path} is not a readable idx file: {e}') from None
    if len(data) < 4 or data[0] or data[1] or data[2] not in _IDX_TYPES or not data[3]:
        raise ValueError(f'{path} is not an idx file (its magic number is {data[:4].hex()})')
    ndim = data[3]
    shape = tuple(int(v) for v in np.frombuffer(data, '>i4', ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[data[2]])
    offset = 4 + 4 * ndim
    if len(data) - offset != int(np.prod(shape)) * dtype.itemsize:
        raise ValueError(f'{path} holds {len(data) - offset} bytes of data, its header says '
                         f'{shape} x {dtype.itemsize}: the file is incomplete or damaged')
    return np.frombuffer(data, dtype, offset=offset).reshape(shape).astype(dtype.newbyteorder('='))


@DATASETS.register_module()
class FashionMNIST(LabelArrayMixin, BaseDataset):
    """Fashion-MNIST (Xiao et al. 2017): 60,000 training and 10,000 test images of 28x28
    grey-scale clothing, 10 classes; images are uint8 arrays (28, 28, 1).

    Args:
        data_root (str): folder holding ``train-images-idx3-ubyte[.gz]`` and the three other
            files (Debian: ``/usr/share/datasets/fashion-mnist``).
        split (str): 'train' or 'test'.
        download (bool): download the missing files from ``url``.
        url (str): folder URL the four ``.gz`` files are downloaded from.
    """
    FILES = {'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
             'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')}
    url = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'
    METAINFO = {'classes': FASHION_MNIST_CLASSES}

    def __init__(self, data_root='', split='train', download=False, url=None, **kwargs):
        if split not in self.FILES:
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        self.split, self.download = split, download
        if url is not None:
            self.url = url
        kwargs.setdefault('test_mode', split == 'test')
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def _find(self, name):
        for candidate in (name + '.gz', name):
            path = osp.join(self.data_root, candidate)
            if osp.isfile(path):
                return path
        return None

    def _download(self, name):
        from mmengine.fileio import get
        from mmnoisy.utils.io import atomic_write
        url = self.url.rstrip('/') + '/' + name + '.gz'
        try:
            data = get(url)
        except Exception as e:  # noqa: BLE001  (urllib / requests errors alike)
            raise FileNotFoundError(f'could not download {url}: {e}') from None
        os.makedirs(self.data_root or '.', exist_ok=True)
        path = osp.join(self.data_root, name + '.gz')
        atomic_write(path, data)
        return path

    def load_data_list(self):
        paths = []
        for name in self.FILES[self.split]:
            path = self._find(name)
            if path is None and self.download:
                path = self._download(name)
            if path is None:
                raise FileNotFoundError(
                    f'FashionMNIST: {name}[.gz] not found in {osp.abspath(self.data_root)}; '
                    'install it (Debian: apt-get install dataset-fashion-mnist, then '
                    "data_root='/usr/share/datasets/fashion-mnist') or set download=True")
            paths.append(path)
        images, labels = read_idx(paths[0]), read_idx(paths[1]).astype(np.int64)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f'{paths[0]} ({images.shape}) and {paths[1]} ({labels.shape}) '
                             'are not N images and N labels')
        if labels.min() < 0 or labels.max() >= len(FASHION_MNIST_CLASSES):
            raise ValueError(f'{paths[1]} has labels outside 0..9')
        self._gt_labels = labels
        images = images[..., None]
        return [dict(img=img, gt_label=int(lab)) for img, lab in zip(images, labels)]
