"""scikit-learn's 8x8 handwritten digits: real data that ships inside scikit-learn."""
import numpy as np
from mmpretrain.datasets import BaseDataset

from mmnoisy.registry import DATASETS

from .base import LabelArrayMixin


@DATASETS.register_module()
class Digits(LabelArrayMixin, BaseDataset):
    """The 1,797 8x8 digits of ``sklearn.datasets.load_digits`` as uint8 images (8, 8, 1).

    The split is fixed: the first ``num_train`` (1,347, i.e. 75%) samples are 'train', the
    rest 'test'. Pixel values 0-16 are scaled to 0-255.
    """
    METAINFO = {'classes': tuple(str(i) for i in range(10))}

    def __init__(self, split='train', num_train=1347, **kwargs):
        if split not in ('train', 'test'):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        self.split, self.num_train = split, num_train
        kwargs.setdefault('test_mode', split == 'test')
        super().__init__(ann_file='', **kwargs)

    def load_data_list(self):
        from sklearn.datasets import load_digits
        digits = load_digits()
        images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
        labels = digits.target.astype(np.int64)
        part = slice(0, self.num_train) if self.split == 'train' else slice(self.num_train, None)
        self._gt_labels = labels[part]
        return [dict(img=img, gt_label=int(lab)) for img, lab in zip(images[part], labels[part])]
