"""Every config parses, names only registered modules, and builds its model."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmnoisy.registry import MODELS
from mmnoisy.utils import register_all_modules

register_all_modules()
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)


def test_there_are_configs():
    assert len(CONFIGS) >= 10


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_config_builds_model(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmnoisy'
    model = MODELS.build(cfg.model)
    noise = cfg.train_dataloader.dataset.get('noise')
    assert noise is not None and 'type' in noise
    num_classes = cfg.model.head.num_classes
    assert cfg.model.get('data_preprocessor', cfg.get('data_preprocessor', {})).get(
        'num_classes', num_classes) == num_classes
    assert model is not None


def test_published_robust_loss_settings():
    c10 = Config.fromfile(osp.join(ROOT, 'configs/baselines/sce_cifar10_sym50.py'))
    assert (c10.model.head.loss.alpha, c10.model.head.loss.beta) == (0.1, 1.0)
    c100 = Config.fromfile(osp.join(
        ROOT, 'configs/baselines/sce_preactresnet18_1xb64-250e_cifar100-sym50.py'))
    assert (c100.model.head.loss.alpha, c100.model.head.loss.beta) == (6.0, 0.1)
    assert c100.model.head.num_classes == 100
    gce = Config.fromfile(osp.join(ROOT, 'configs/baselines/gce_cifar10_sym50.py'))
    assert gce.model.head.loss == dict(type='GCELoss', q=0.7)


BASE_DATASETS = sorted(glob.glob(osp.join(ROOT, 'configs/_base_/datasets/*.py')))


@pytest.mark.parametrize('path', BASE_DATASETS, ids=osp.basename)
def test_base_dataset_configs_wrap_training_data_in_noise(path):
    cfg = Config.fromfile(path)
    train = cfg.train_dataloader.dataset
    assert train.type == 'NoisyLabelDataset' and 'type' in train.noise
    assert cfg.val_evaluator.type == 'LastKAccuracy'
    assert cfg.data_preprocessor.num_classes in (10, 14, 50, 100)
