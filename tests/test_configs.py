"""Every config parses, names only registered modules, and builds its model."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmnoisy.registry import MODELS
from mmnoisy.utils import register_all_modules

register_all_modules()
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
ALL_CONFIGS = sorted(p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
                     if '_base_' not in p and not osp.basename(p).startswith('_'))
#: one-line short names of full configs (``_base_ = ['./FULL.py']  # short alias``): checked once
#: by test_aliases_name_a_full_config, not built a second time
ALIASES = [p for p in ALL_CONFIGS if '# short alias' in open(p).read()]
CONFIGS = [p for p in ALL_CONFIGS if p not in ALIASES]


def _index_metadata():
    from mmnoisy.utils.model_zoo import load_model_index
    return {osp.join(ROOT, m['config']): m for m in load_model_index()}


INDEX = _index_metadata()


def check_metadata(path, cfg):
    """The metafile's Epochs, Batch Size (total: per process x the N of 'Nxb' in the name)
    and Architecture (the backbone's depth, 'x2' for two networks) say what the config does."""
    import re
    model = INDEX.get(path)
    if model is None or cfg.default_scope != 'mmnoisy':
        return
    meta = model['metadata']
    for key in ('Training Data', 'Label Noise', 'Architecture', 'Epochs', 'Batch Size'):
        assert key in meta, f"{model['name']}: no {key} in {model['metafile']}"
    assert meta['Epochs'] == cfg.train_cfg.max_epochs, model['name']
    procs = re.search(r'_(\d+)xb(\d+)-', model['name'])
    per_proc = cfg.train_dataloader.batch_size
    if procs:
        assert int(procs.group(2)) == per_proc, model['name']
    assert meta['Batch Size'] == per_proc * (int(procs.group(1)) if procs else 1), model['name']
    two = 'network' in cfg.model or 'networks' in cfg.model
    net = cfg.model.network if 'network' in cfg.model else \
        cfg.model.networks[0] if two else cfg.model
    depth = net.backbone.get('depth')
    if depth is not None:
        assert str(depth) in meta['Architecture'], model['name']
    noise = cfg.train_dataloader.dataset.get('noise') or \
        cfg.train_dataloader.dataset.get('dataset', {}).get('noise', {})
    if noise.get('type') in ('symmetric', 'asymmetric', 'pairflip', 'instance'):
        assert f"{round(100 * noise['rate'])}%" in meta['Label Noise'], model['name']


def test_there_are_configs():
    assert len(CONFIGS) >= 10


def test_aliases_name_a_full_config():
    """An alias is one line inheriting a full config of its folder and nothing else, so the
    per-config checks below, run on the full config, hold for it."""
    import re
    assert ALIASES
    for path in ALIASES:
        lines = [line for line in open(path).read().splitlines() if line.strip()]
        match = re.fullmatch(r"_base_ = \['\./([^'/]+\.py)'\]  # short alias", lines[0])
        assert len(lines) == 1 and match, path
        target = osp.join(osp.dirname(path), match.group(1))
        assert target in CONFIGS, (path, target)
        assert Config.fromfile(path).to_dict() == Config.fromfile(target).to_dict(), path


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_config_builds_model(path):
    cfg = Config.fromfile(path)
    if cfg.default_scope == 'mmpretrain':  # VRLVMix's SimCLR pretraining / feature encoder
        from mmengine.registry import DefaultScope
        from mmpretrain.registry import MODELS as PRETRAIN_MODELS
        assert 'vrlvmix' in path
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            backbone = PRETRAIN_MODELS.build(cfg.model).backbone
        assert type(backbone).__name__ == cfg.model.backbone.type.split('.')[-1]  # scope.Name
        assert backbone.depth == cfg.model.backbone.depth
        return
    assert cfg.default_scope == 'mmnoisy'
    check_metadata(path, cfg)
    model = MODELS.build(cfg.model)
    dataset = cfg.train_dataloader.dataset
    if dataset.type == 'CorruptedCopyDataset':  # DynaCor: copies appended to the noisy set
        assert 0 < dataset.gamma <= 1
        dataset = dataset.dataset
    noise = dataset.get('noise')
    assert noise is not None and 'type' in noise
    head = cfg.model.network.head if 'network' in cfg.model else cfg.model.head
    num_classes = head.num_classes
    assert cfg.model.get('data_preprocessor', cfg.get('data_preprocessor', {})).get(
        'num_classes', num_classes) == num_classes
    # the built model classifies into the config's classes, with the config's backbone
    nets = [getattr(model, n) for n in model.networks] if hasattr(model, 'networks') else [model]
    for net in nets:
        fc = net.head.fc
        assert (fc.out_features, fc.in_features) == (num_classes, head.in_channels), path
        assert type(net.backbone).__name__ == (cfg.model.network if 'network' in cfg.model
                                               else cfg.model).backbone.type.split('.')[-1]


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


def _num_views(pipeline):
    for t in pipeline:
        if t['type'] == 'MultiView':
            n = t['num_views']
            return sum(n) if isinstance(n, (list, tuple)) else n
    return 1


CO_TRAINING = [p for p in CONFIGS if Config.fromfile(p).model.type in
               ('CoTeaching', 'DivideMix', 'RoLR', 'CCL', 'UNICON')]


@pytest.mark.parametrize('path', CO_TRAINING, ids=lambda p: osp.relpath(p, ROOT))
def test_co_training_configs_are_consistent(path):
    """Views for the method, per-network optimizers, and the selection starting when warm-up
    ends -- what CoTrainingHook would refuse at start-up, checked for every shipped config."""
    cfg = Config.fromfile(path)
    model = MODELS.build(cfg.model)
    noisy = cfg.train_dataloader.dataset
    if noisy.type == 'CorruptedCopyDataset':  # DDyna-S
        noisy = noisy.dataset
    assert _num_views(noisy.dataset.pipeline) >= model.num_views
    assert cfg.optim_wrapper.constructor == 'CoTrainingOptimWrapperConstructor'
    assert cfg.model_wrapper_cfg.type == 'MMSeparateDistributedDataParallel'
    assert model.warmup_epochs < cfg.train_cfg.max_epochs
    hooks = {h['type']: h for h in cfg.custom_hooks}
    assert 'CoTrainingHook' in hooks
    if model.consumes and 'DynaCorSelectionHook' in hooks:
        assert hooks['DynaCorSelectionHook']['begin_epoch'] in ('warmup', model.warmup_epochs)
        assert hooks['SampleRecordHook']['signals']['margin_sign'] is None
    elif model.consumes and model.selection_hook == 'UniconSelectionHook':
        for name in ('SampleRecordHook', 'UniconSelectionHook'):
            assert hooks[name]['begin_epoch'] in ('warmup', model.warmup_epochs)
        assert hooks['SampleRecordHook']['signals']['prob'] >= 1
        assert hooks['SampleRecordHook']['pipeline'] == 'test'
    elif model.consumes:
        for name in ('SampleRecordHook', 'GMMConfidenceHook'):
            assert hooks[name]['begin_epoch'] in ('warmup', model.warmup_epochs)
        assert hooks['SampleRecordHook']['signals']['loss'] >= \
            hooks['GMMConfidenceHook'].get('average_last', 1)


def test_published_co_training_settings():
    def load(name):
        return Config.fromfile(osp.join(ROOT, 'configs', name))
    cfg = load('ccl/ccl_resnet18_cifar100_sym80.py')  # the headline command
    assert (cfg.model.type, cfg.model.warmup_epochs, cfg.model.temperature,
            cfg.model.threshold) == ('CCL', 30, 0.5, 0.95)
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-3, betas=(0.9, 0.999))
    assert cfg.train_cfg.max_epochs == 500 and cfg.train_dataloader.batch_size == 128
    assert cfg.train_dataloader.dataset.noise == dict(type='symmetric', rate=0.8, seed=1)
    assert cfg.model.network.head.num_classes == 100
    assert load('ccl/ccl_resnet18_cifar10n_worst.py').train_dataloader.dataset.noise.label == \
        'worst'
    dm = load('dividemix/dividemix_cifar10_sym90.py')
    assert (dm.model.lambda_u, dm.model.p_threshold) == (50, 0.6)
    assert dm.custom_hooks[2].average_last == 5 and dm.custom_hooks[1].pipeline == 'test'
    assert load('ccl/ccl_resnet18_cifar10_sym50.py').custom_hooks[1].pipeline == 'train_weak'
    assert load('dividemix/dividemix_cifar10_asym40.py').model.warmup_neg_entropy
    assert load('dividemix/dividemix_cifar100_sym50.py').model.lambda_u == 150
    rolr = load('rolr/rolr_cifar10_sym50.py')
    assert rolr.train_dataloader.batch_sampler.passes == 2  # the code's I = 2
    assert (rolr.train_dataloader.batch_size, rolr.model.lambda_p,
            rolr.train_cfg.max_epochs) == (448, 2.0, 515)
    # VRLVMix batches as the DivideMix / ScanMix code it builds on (64, warm-up 128), not the
    # paper's 128 (DivideMix's paper sentence): the same streams as DivideMix's configs
    for setting in ('cifar10_sym50', 'cifar100_sym80', 'cifar10_asym40'):
        vr, base = load(f'vrlvmix/vrlvmix_{setting}.py'), load(f'dividemix/dividemix_{setting}.py')
        assert (vr.train_dataloader.batch_size, vr.train_dataloader.batch_sampler) == \
            (base.train_dataloader.batch_size, base.train_dataloader.batch_sampler) == \
            (64, dict(type='CoTrainingBatchSampler', warmup_batch_size=128,
                      order='alternating', drop_last=False)), setting


def test_published_unicon_settings():
    """HMW Table 1's UNICON rows: HMW's schedule and warm-ups, and the per-setting alpha =
    beta of UNICON + HMW from the paper's experimental setup."""
    def load(name):
        return Config.fromfile(osp.join(ROOT, 'configs', 'unicon', name))
    cfg = load('unicon_preactresnet18_1xb64-250e_cifar100-sym80.py')
    assert (cfg.model.type, cfg.model.warmup_epochs, cfg.model.lambda_u, cfg.model.lambda_c,
            cfg.model.contrast_temperature) == ('UNICON', 30, 30.0, 0.025, 0.05)
    assert cfg.model.network.projector.out_channels == 128
    assert cfg.train_cfg.max_epochs == 250 and cfg.train_dataloader.batch_size == 64
    assert cfg.train_dataloader.dataset.noise.rate == 0.8
    assert _num_views(cfg.train_dataloader.dataset.dataset.pipeline) == 4
    alpha = {(ds, s): load(f'hmw-unicon_preactresnet18_1xb64-250e_{ds}-{s}.py').model.hmw.alpha
             for ds in ('cifar10', 'cifar100') for s in ('sym20', 'sym50', 'sym80', 'sym90',
                                                         'asym10', 'asym40')}
    assert alpha == {('cifar10', 'sym20'): 1.0, ('cifar10', 'sym50'): 1.0,
                     ('cifar10', 'sym80'): 100.0, ('cifar10', 'sym90'): 100.0,
                     ('cifar10', 'asym10'): 1.0, ('cifar10', 'asym40'): 1.0,
                     ('cifar100', 'sym20'): 0.1, ('cifar100', 'sym50'): 0.1,
                     ('cifar100', 'sym80'): 1.0, ('cifar100', 'sym90'): 100.0,
                     ('cifar100', 'asym10'): 1.0, ('cifar100', 'asym40'): 1.0}
    assert load('unicon_preactresnet18_1xb64-250e_cifar10-asym30.py').model.warmup_neg_entropy
    assert not cfg.model.warmup_neg_entropy
    own = load('unicon_preactresnet18_1xb64-350e_cifar100-sym50.py')  # UNICON's own schedule
    assert own.param_scheduler == dict(type='CosineAnnealingLR', by_epoch=True, T_max=280,
                                       eta_min=2e-4, begin=0, end=350)
    assert own.train_cfg.max_epochs == 350 and own.model.warmup_epochs == 30


def test_model_index_lists_existing_configs():
    import yaml
    with open(osp.join(ROOT, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    names = set()
    for meta_path in index['Import']:
        with open(osp.join(ROOT, meta_path)) as f:
            meta = yaml.safe_load(f)
        collections = {c['Name'] for c in meta['Collections']}
        assert osp.isfile(osp.join(ROOT, meta['Collections'][0]['README']))
        for m in meta['Models']:
            assert m['In Collection'] in collections
            assert osp.isfile(osp.join(ROOT, m['Config'])), m['Config']
            assert osp.basename(m['Config']) == m['Name'] + '.py'
            names.add(m['Name'])
    # every full-named config of a method folder is in the index (aliases are one-liners)
    for folder in ('ccl', 'dividemix', 'rolr', 'coteaching', 'negscale', 'hmw', 'dynacor',
                   'unicon', 'vrlvmix', 'demo'):
        for path in glob.glob(osp.join(ROOT, 'configs', folder, '**', '*.py'), recursive=True):
            text = open(path).read()
            if '# short alias' not in text and not osp.basename(path).startswith('_'):
                assert osp.basename(path)[:-3] in names, path
