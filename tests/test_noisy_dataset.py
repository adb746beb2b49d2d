import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmnoisy.datasets import UNKNOWN, NoisyLabelDataset
from mmnoisy.noise import NoiseConfigError
from mmnoisy.utils import register_all_modules

register_all_modules()
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_wrapper_hands_noisy_label_and_carries_clean_for_metrics(cifar10_root):
    ds = NoisyLabelDataset(
        dataset=dict(type='CIFAR10', data_root=cifar10_root,
                     pipeline=[dict(type='PackNoisyInputs')]),
        noise=dict(type='symmetric', rate=0.4, seed=0))
    clean = np.arange(50) % 10
    assert np.array_equal(ds.noise.clean_labels, clean)
    assert ds.noise.noise_rate == pytest.approx(0.4)
    noisy = ds.get_gt_labels()
    for idx in range(50):
        info = ds.get_data_info(idx)
        assert info['gt_label'] == noisy[idx] and info['clean_label'] == clean[idx]
        assert info['is_noisy'] == int(noisy[idx] != clean[idx])
        assert info['sample_idx'] == idx
    packed = ds[7]
    sample = packed['data_samples']
    assert int(sample.gt_label) == noisy[7]          # what training reads
    assert sample.clean_label == clean[7] and sample.sample_idx == 7   # metrics only
    assert packed['inputs'].shape == (3, 32, 32)


def test_wrapper_on_real_noise_dataset_knows_no_clean_labels(tmp_path):
    from PIL import Image
    (tmp_path / 'training').mkdir()
    for name in ('0_1.jpg', '4_2.jpg'):
        Image.new('RGB', (4, 4)).save(tmp_path / 'training' / name)
    ds = NoisyLabelDataset(dataset=dict(type='Animal10N', data_root=str(tmp_path),
                                        pipeline=[]), noise=dict(type='none'))
    assert ds.noise.noise_rate is None and ds.noise.clean_labels is None
    info = ds.get_data_info(1)
    assert info['gt_label'] == 4 and info['clean_label'] == UNKNOWN == info['is_noisy']


def test_superclass_noise_through_the_wrapper(cifar100_root):
    ds = NoisyLabelDataset(dataset=dict(type='CIFAR100', data_root=cifar100_root,
                                        pipeline=[]),
                           noise=dict(type='superclass', rate=0.4, seed=0))
    coarse = ds.dataset.get_coarse_labels()
    noisy = ds.get_gt_labels()
    assert ds.noise.noise_rate == pytest.approx(0.4)
    assert np.all(noisy % 20 == coarse)  # fixture: superclass of fine i is i % 20


def test_instance_noise_through_the_wrapper(cifar10_root):
    ds = NoisyLabelDataset(dataset=dict(type='CIFAR10', data_root=cifar10_root, pipeline=[]),
                           noise=dict(type='instance', rate=0.4, seed=0))
    assert 0 < ds.noise.noise_rate < 1


def test_wrapper_bad_inputs(cifar10_root):
    with pytest.raises(NoiseConfigError, match=r'\[0, 1\)'):
        NoisyLabelDataset(dataset=dict(type='CIFAR10', data_root=cifar10_root, pipeline=[]),
                          noise=dict(type='symmetric', rate=1.5))
    with pytest.raises(NoiseConfigError, match=r'\[0, 5\)'):
        NoisyLabelDataset(dataset=dict(type='CIFAR10', data_root=cifar10_root, pipeline=[]),
                          noise=dict(type='symmetric', rate=0.2), num_classes=5)
    with pytest.raises(NoiseConfigError, match='does not take'):
        NoisyLabelDataset(dataset=dict(type='CIFAR10', data_root=cifar10_root, pipeline=[]),
                          noise=dict(type='none', rate=0.2))


def _train(tmp_path, name, scramble, monkeypatch):
    from mmnoisy.engine import NoisyRunner
    original = NoisyLabelDataset.full_init

    def full_init(self):
        original(self)
        if scramble:  # garbage in every field that must not influence training
            rng = np.random.default_rng(123)
            self._clean = rng.integers(0, 10, len(self._clean))
            self._is_noisy = 1 - self._is_noisy
            self.noise.clean_labels = self._clean

    monkeypatch.setattr(NoisyLabelDataset, 'full_init', full_init)
    cfg = Config.fromfile(osp.join(ROOT, 'configs/demo/ce_smallcnn_digits_sym40.py'))
    cfg.work_dir = str(tmp_path / name)
    cfg.experiment_name = name
    cfg.train_cfg.max_epochs = 2
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    runner = NoisyRunner.from_cfg(cfg)
    runner.train()
    return {k: v.clone() for k, v in runner.model.state_dict().items()}


def test_no_training_path_reads_clean_labels(tmp_path, monkeypatch):
    plain = _train(tmp_path, 'plain', False, monkeypatch)
    scrambled = _train(tmp_path, 'scrambled', True, monkeypatch)
    assert plain.keys() == scrambled.keys()
    for key in plain:
        assert torch.equal(plain[key], scrambled[key]), key
