import random

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import Compose

from mmnoisy.datasets import FixMatchRandAugment, RandomCutout
from mmnoisy.utils import register_all_modules

register_all_modules()


def test_cutout_fills_a_square_of_at_most_half_the_side():
    random.seed(0)
    img = np.full((32, 32, 3), 7, np.uint8)
    sizes = []
    for _ in range(200):
        out = RandomCutout(max_ratio=0.5)(dict(img=img.copy()))['img']
        mask = np.all(out == (125, 123, 114), axis=2)
        ys, xs = np.nonzero(mask)
        if len(ys):
            h, w = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
            assert mask.sum() == h * w  # one rectangle
            assert max(h, w) <= 16
            sizes.append(max(h, w))
        assert np.all(out[~mask] == 7)
    assert max(sizes) >= 12  # sides spread over (0, 16]


def test_randaugment_changes_images_and_keeps_shape():
    random.seed(1)
    img = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    changed = 0
    for _ in range(20):
        out = FixMatchRandAugment(num_ops=3)(dict(img=img.copy()))['img']
        assert out.shape == img.shape and out.dtype == np.uint8
        changed += not np.array_equal(out, img)
    assert changed >= 15
    gray = FixMatchRandAugment(num_ops=2)(dict(img=img[..., :1].copy()))['img']
    assert gray.shape == (32, 32, 1)
    with pytest.raises(ValueError, match='unknown ops'):
        FixMatchRandAugment(ops=['Blur'])


def test_weak_strong_views_from_base_config():
    cfg = Config.fromfile('configs/_base_/datasets/noisy_cifar10.py')
    pipeline = Compose(cfg.weak_strong_pipeline)
    img = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    out = pipeline(dict(img=img, gt_label=3, clean_label=3, is_noisy=0, sample_idx=5))
    assert isinstance(out['inputs'], list) and len(out['inputs']) == 2
    assert all(v.shape == (3, 32, 32) for v in out['inputs'])
    assert out['data_samples'].clean_label == 3
