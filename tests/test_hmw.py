"""HMW's pure functions (Eq. 7-12) on hand-computed cases and the paper's three cases of
Fig. 3; the running IAM against Eq. 7 written out."""
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from mmnoisy.engine.hooks import HMWHook
from mmnoisy.selection.hmw import (IAMAccumulator, annealing_weights, hm_slice, iam,
                                   topk_from_rate)
from mmnoisy.selection.signals import compute_signals


def _spherical_slice(distances, label, alpha=100.0, beta=100.0, k=1):
    """Eq. 10-12 from a row of distances d^ (Eq. 11) by min-search, written out."""
    d = list(distances)
    d_y = d[label]
    others = sorted(v for i, v in enumerate(d) if i != label)
    d_o, rest = others[0], others[1:1 + k]
    m, u = d_y - d_o, d_o - sum(rest) / k
    return 0.5 * (1 / (1 + math.exp(alpha * m)) + math.exp(beta * u))


def test_the_three_cases_of_fig_3_get_the_ordering_the_paper_argues():
    """Easy clean: the label's class is nearest by far. Hard clean: the label is not yet the
    nearest, but the other classes stay together (small TKUM area). Mislabelled: one other
    class (the true one) is much nearer than the rest (large TKUM area)."""
    easy = [0.05, 0.45, 0.46, 0.47]
    hard = [0.30, 0.28, 0.29, 0.30]
    wrong = [0.40, 0.10, 0.38, 0.39]
    w = {name: _spherical_slice(d, 0) for name, d in
         (('easy', easy), ('hard', hard), ('wrong', wrong))}
    assert w['easy'] > w['hard'] > w['wrong']
    # by hand, alpha = beta = 100: easy M~ = -0.4, U~ = -0.01: (sigmoid(40) + e^-1) / 2;
    # hard M~ = 0.02, U~ = -0.01: (sigmoid(-2) + e^-1) / 2; wrong M~ = 0.3, U~ = -0.28
    assert w['easy'] == pytest.approx((1 + math.exp(-1)) / 2, rel=1e-6)
    assert w['hard'] == pytest.approx((1 / (1 + math.exp(2)) + math.exp(-1)) / 2, rel=1e-6)
    assert w['wrong'] < 1e-12
    # the function on the record's signals (M~, U~) gives the same numbers
    for name, d in (('easy', easy), ('hard', hard), ('wrong', wrong)):
        dist = torch.tensor([d])
        m = dist[0, 0] - dist[0, 1:].min()
        u = dist[0, 1:].min() - dist[0, 1:].sort().values[1]
        assert hm_slice(m, u).item() == pytest.approx(w[name], rel=1e-5, abs=1e-12)


def test_hm_slice_hand_values_and_bounds():
    # M~ = 0, U~ = 0: (sigmoid(0) + exp(0)) / 2 = 0.75
    assert hm_slice(torch.tensor(0.0), torch.tensor(0.0)).item() == pytest.approx(0.75)
    # alpha = 1, beta = 2, M~ = -0.5, U~ = -0.25: (sigmoid(0.5) + exp(-0.5)) / 2
    ref = (1 / (1 + math.exp(-0.5)) + math.exp(-0.5)) / 2
    assert hm_slice(torch.tensor(-0.5), torch.tensor(-0.25), 1.0, 2.0).item() == \
        pytest.approx(ref, rel=1e-6)
    # TKUM alone
    assert hm_slice(torch.tensor(3.0), torch.tensor(-0.01), 100, 100,
                    use_aum=False).item() == pytest.approx(math.exp(-1), rel=1e-6)
    # AUM alone ("AUM only" of Table 4): sigmoid(-alpha M~), no TKUM margin needed
    assert hm_slice(torch.tensor(-0.5), None, 1.0, 2.0, use_tkum=False).item() == \
        pytest.approx(1 / (1 + math.exp(-0.5)), rel=1e-6)
    with pytest.raises(ValueError, match='at least one'):
        hm_slice(torch.tensor(0.0), None, use_aum=False, use_tkum=False)
    g = torch.Generator().manual_seed(0)
    m, u = torch.rand(1000, generator=g) * 2 - 1, -torch.rand(1000, generator=g)
    s = hm_slice(m, u)
    assert (s > 0).all() and (s <= 1).all()
    with pytest.raises(ValueError, match='alpha and beta must be >= 0'):
        hm_slice(m, u, alpha=-1.0)


def test_aum_only_rows_need_only_the_margin():
    """Table 4's "AUM only" / "AUM + CA": the hook records and reads only M~."""
    assert HMWHook(use_tkum=False).signals == ('cos_margin', )
    assert HMWHook(use_tkum=False, hyperspherical=False).signals == ('prob_margin', )
    assert HMWHook().signals == ('cos_margin', 'cos_topk_margin')
    with pytest.raises(ValueError, match='at least one'):
        HMWHook(use_aum=False, use_tkum=False)


def test_prob_margins_are_the_min_search_on_minus_softmax():
    logits = torch.tensor([[2.0, 1.0, 0.5, 0.0]])
    out = compute_signals(['prob_margin', 'prob_topk_margin'], logits, torch.tensor([1]))
    p = logits.softmax(1)[0]
    assert out['prob_margin'].item() == pytest.approx((p[0] - p[1]).item(), rel=1e-6)
    assert out['prob_topk_margin'].item() == pytest.approx((p[2] - p[0]).item(), rel=1e-6)


def test_topk_from_rate():
    assert topk_from_rate(0.01, 10) == 1 and topk_from_rate(0.01, 100) == 1
    assert topk_from_rate(0.5, 100) == 49
    assert topk_from_rate(1.0, 10) == 8
    with pytest.raises(ValueError, match='k=1 > C - 2 = 0'):
        topk_from_rate(0.01, 2)
    with pytest.raises(ValueError, match='in \\[0, 1\\]'):
        topk_from_rate(1.5, 10)


def test_annealing_weights_sum_to_one_and_favour_early_epochs():
    b = annealing_weights(250, 250)
    assert b.sum() == pytest.approx(1.0) and (np.diff(b) < 0).all()
    # REFERENCE section 5: at epoch 250 of 250 the first epoch gets 0.0086, the last 0.0012
    assert b[0] == pytest.approx(0.0086, abs=1e-4) and b[-1] == pytest.approx(0.0012, abs=1e-4)
    eps = 1 + np.cos(np.arange(1, 4) * np.pi / 10)
    np.testing.assert_allclose(annealing_weights(3, 10), np.exp(eps) / np.exp(eps).sum())


def test_running_iam_equals_eq_7_at_every_epoch_and_survives_a_checkpoint():
    g = torch.Generator().manual_seed(0)
    slices = torch.rand(6, 50, generator=g)
    acc = IAMAccumulator(50, total_epochs=6)
    for t in range(1, 7):
        acc.update(slices[t - 1], t)
        torch.testing.assert_close(acc.weights().double(), iam(slices[:t], 6),
                                   rtol=1e-6, atol=1e-7)
        if t == 3:  # resume mid-way
            state = acc.state_dict()
            acc = IAMAccumulator(50, total_epochs=6)
            acc.load_state_dict(state)
    flat = IAMAccumulator(50, total_epochs=6, anneal=False)
    for t in range(1, 7):
        flat.update(slices[t - 1], t)
    torch.testing.assert_close(flat.weights().double(), slices.double().mean(0))
    with pytest.raises(ValueError, match='already added'):
        flat.update(slices[0], 6)
    with pytest.raises(ValueError, match='covers 50 samples, this run has 10'):
        IAMAccumulator(10, 6).load_state_dict(state)
    assert IAMAccumulator(5, 6).weights() is None


# ------------------------------------------------------------------------- the hook
from tests.conftest import ROOT, run_tool  # noqa: E402

DEMO = 'configs/demo/hmw_ce_smallcnn_digits_sym40.py'


def _run(tmp_path, *opts, check=True):
    return run_tool('tools/train.py', DEMO, '--work-dir', str(tmp_path), '--cfg-options',
                    'default_hooks.checkpoint.interval=1', *opts, check=check)


def _weight_lines(log):
    return re.findall(r'HMW epoch (\d+): mean weight ([\d.]+), clean samples ([\d.]+), '
                      r'mislabelled ([\d.]+)', log)


@pytest.mark.slow
def test_weighting_starts_at_warmup_and_resume_keeps_the_history(tmp_path):
    """Epochs 1-2 warm up; epochs 3-4 train with the IAM. A run killed after epoch 2 and
    resumed ends with the uninterrupted run's IAM and weights (the digits pipeline has no
    random augmentation, so the runs are bitwise comparable)."""
    from mmnoisy.compat import safe_torch_load
    opts = ['train_cfg.max_epochs=4', 'param_scheduler.T_max=4', 'custom_hooks.1.warmup_epochs=2',
            'default_hooks.checkpoint.max_keep_ckpts=5']
    proc = _run(tmp_path / 'full', *opts)
    lines = _weight_lines(proc.stdout + proc.stderr)
    # epochs 3 and 4 train with the IAM of the slices of epochs 1-2 and 1-3
    assert [int(e) for e, *_ in lines] == [3, 4], lines
    full = safe_torch_load(str(tmp_path / 'full' / 'epoch_4.pth'))
    (key, ) = [k for k in full['sample_record']['columns'] if k.startswith('iam/')]
    assert key.startswith('iam/net/cos_margin+cos_topk_margin/alpha=100/beta=100/')

    def saved_iam(checkpoint):
        # the IAM is a column of the per-sample record, saved in the record's entry
        return checkpoint['sample_record']['columns'][key]

    iam_full = saved_iam(full)
    assert iam_full['epochs'] == [1, 2, 3, 4] and iam_full['total_epochs'] == 4
    eps = 1 + np.cos(np.arange(1, 5) * np.pi / 4)
    assert iam_full['denominator'] == pytest.approx(np.exp(eps).sum())
    w = iam_full['numerator'] / iam_full['denominator']
    assert (w > 0).all() and (w <= 1).all()

    killed = tmp_path / 'killed.py'
    killed.write_text(
        f"_base_ = ['{ROOT}/{DEMO}']\n"
        "custom_imports = dict(imports=['tests.kill_hook'])\n"
        "custom_hooks = [dict(type='SampleRecordHook', mode='online',\n"
        "                     signals=dict(cos_margin=1, cos_topk_margin=1)),\n"
        "  dict(type='HMWHook', alpha=100.0, beta=100.0, warmup_epochs=2,\n"
        "       normalized_logits=True),\n"
        "  dict(type='KillAfterEpoch', epoch=2)]\n")
    proc = run_tool('tools/train.py', str(killed), '--work-dir', str(tmp_path / 'part'),
                    '--cfg-options', 'default_hooks.checkpoint.interval=1', *opts, check=False)
    assert proc.returncode == 17 and (tmp_path / 'part' / 'epoch_2.pth').exists()
    assert saved_iam(safe_torch_load(str(tmp_path / 'part' / 'epoch_2.pth')))['epochs'] == [1, 2]
    run_tool('tools/train.py', DEMO, '--work-dir', str(tmp_path / 'part'), '--resume',
        '--cfg-options', 'default_hooks.checkpoint.interval=1', *opts)
    resumed = safe_torch_load(str(tmp_path / 'part' / 'epoch_4.pth'))
    assert saved_iam(resumed)['epochs'] == [1, 2, 3, 4]
    assert torch.equal(saved_iam(resumed)['numerator'], iam_full['numerator'])
    for key, value in full['state_dict'].items():
        assert torch.equal(value, resumed['state_dict'][key]), key


@pytest.mark.slow
def test_hmw_hook_bad_input(tmp_path):
    from mmnoisy.engine.hooks import HMWHook
    with pytest.raises(ValueError, match='alpha and beta must be >= 0'):
        HMWHook(alpha=-1.0)
    cases = {
        'needs the per-sample record of': "custom_hooks = [dict(type='HMWHook')]\n",
        'needs a head with class weights': (
            "model = dict(head=dict(_delete_=True, type='StackedLinearClsHead', num_classes=10,"
            " in_channels=64, mid_channels=[32]))\n"),
    }
    for i, (match, text) in enumerate(cases.items()):
        cfg = tmp_path / f'bad{i}.py'
        cfg.write_text(f"_base_ = ['{ROOT}/{DEMO}']\n" + text)
        proc = run_tool('tools/train.py', str(cfg), '--work-dir', str(tmp_path / str(i)),
                        check=False)
        log = proc.stdout + proc.stderr
        assert proc.returncode != 0 and match in log, log[-2000:]
        assert not list((tmp_path / str(i)).glob('*.pth'))


HMW_CONFIGS = sorted(Path(ROOT).glob('configs/hmw/*_cifar*.py'))


@pytest.mark.parametrize('path', HMW_CONFIGS, ids=lambda p: p.name)
def test_table_1_configs(path):
    from mmengine.config import Config
    cfg = Config.fromfile(str(path))
    name = path.name
    ds = 'cifar100' if '_cifar100-' in name else 'cifar10'
    assert cfg.model.head.num_classes == (100 if ds == 'cifar100' else 10)
    # batch 128: the HMW code trains CE/SCE(+HMW) on its warm-up loader (batch_size * 2)
    assert cfg.train_cfg.max_epochs == 250 and cfg.train_dataloader.batch_size == 128
    assert cfg.model.get('confidence_penalty', False) == ('asym' in name)
    noise = cfg.train_dataloader.dataset.noise
    setting = name.rsplit('-', 1)[1][:-3]
    rate = int(setting[-2:]) / 100
    assert noise.rate == rate
    if setting.startswith('sym'):
        assert noise.type == 'symmetric' and noise.include_true_class
    else:
        assert noise.type == ('asymmetric' if ds == 'cifar10' else 'superclass')
    loss = cfg.model.head.loss.type
    assert loss == {'ce': 'CrossEntropyLoss', 'sce': 'SCELoss', 'gce': 'GCELoss'}[
        name.split('_')[0].replace('hmw-', '')]
    if loss == 'SCELoss':
        assert (cfg.model.head.loss.alpha, cfg.model.head.loss.beta) == \
            ((0.1, 1.0) if ds == 'cifar10' else (6.0, 0.1))
        assert cfg.model.head.loss.log_zero == pytest.approx(np.log(1e-4))  # the code's clamp
    hooks = {h.type: h for h in cfg.get('custom_hooks', [])}
    if name.startswith('hmw-'):
        assert hooks['SampleRecordHook'].mode == 'online'
        assert set(hooks['SampleRecordHook'].signals) == {'cos_margin', 'cos_topk_margin'}
        h = hooks['HMWHook']
        assert (h.alpha, h.beta) == (100.0, 100.0)
        assert h.warmup_epochs == (10 if ds == 'cifar10' else 30)
        # the code's classifier: no bias, default init, normalised logits from epoch 0
        assert h.normalized_logits
        assert (cfg.model.head.type, cfg.model.head.bias, cfg.model.head.init_cfg) == \
            ('NoisyLinearClsHead', False, None)
    else:
        assert 'HMWHook' not in hooks and cfg.model.head.type == 'LinearClsHead'


def test_real_world_configs():
    """Animal-10N (VGG19-BN, Table 2) and mini-WebVision (Inception-ResNet-v2, Table 3) as the
    paper's setup gives them."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmnoisy.registry import MODELS
    init_default_scope('mmnoisy')

    def load(name):
        return Config.fromfile(f'{ROOT}/configs/hmw/{name}.py')
    a = load('hmw-ce_vgg19bn_1xb128-200e_animal10n')
    assert (a.model.backbone.type, a.model.backbone.depth, a.train_dataloader.batch_size,
            a.train_cfg.max_epochs) == ('VGG', 19, 128, 200)
    assert a.optim_wrapper.optimizer.lr == 0.1 and a.optim_wrapper.optimizer.weight_decay == 1e-3
    assert a.param_scheduler.type == 'CosineAnnealingLR'
    assert a.data_preprocessor.batch_augments.augments.type == 'CutMix'
    assert (a.custom_hooks[1].alpha, a.custom_hooks[1].beta) == (100.0, 100.0)
    assert load('hmw-sce_vgg19bn_1xb128-200e_animal10n').custom_hooks[1].alpha == 10.0
    w = load('hmw-ce_inceptionresnetv2_1xb32-200e_webvision-mini')
    assert (w.model.backbone.type, w.model.head.num_classes, w.train_dataloader.batch_size,
            w.optim_wrapper.optimizer.lr, w.optim_wrapper.optimizer.weight_decay) == \
        ('InceptionResNetV2', 50, 32, 0.01, 5e-4)
    assert load('hmw-sce_inceptionresnetv2_1xb32-200e_webvision-mini').custom_hooks[1].beta == 1.0
    model = MODELS.build(a.model)
    assert model.class_weights().shape == (10, 512)  # hyperspherical HMW needs them


def test_table_1_is_covered():
    names = {p.name for p in HMW_CONFIGS}
    for ds in ('cifar10', 'cifar100'):
        for n in ('sym20', 'sym50', 'sym80', 'sym90', 'asym10', 'asym30', 'asym40'):
            for row in ('ce', 'sce', 'hmw-ce', 'hmw-sce'):
                assert f'{row}_preactresnet18_1xb128-250e_{ds}-{n}.py' in names


@pytest.mark.slow
def test_hmw_distributed_two_cpu_processes(tmp_path):
    """CE + HMW under dist_train.sh with 2 CPU processes: each rank records its half of the
    data, the record is merged after every epoch, and both ranks end with the same weights."""
    from tests.conftest import dist_train
    cfg = tmp_path / 'hmw_dist.py'
    cfg.write_text(f"_base_ = ['{ROOT}/{DEMO}']\n"
                   "custom_imports = dict(imports=['tests.rank_check_hook'])\n"
                   "custom_hooks = [dict(type='SampleRecordHook', mode='online',\n"
                   "                     signals=dict(cos_margin=1, cos_topk_margin=1)),\n"
                   "  dict(type='HMWHook', alpha=100.0, beta=100.0, warmup_epochs=1),\n"
                   "  dict(type='WeightCheckHook')]\n")
    log = dist_train(cfg, tmp_path, 'train_cfg.max_epochs=3', 'param_scheduler.T_max=3')
    assert [int(e) for e, *_ in _weight_lines(log)] == [2, 3], log[-3000:]
    for rank in (0, 1):
        text = (tmp_path / f'weight_check_{rank}.txt').read_text()
        assert text.strip() == 'net equal\nweights equal', text


def test_normalized_logits_option():
    """The authors' classifier: CE on l2-normalised logits, times the weights once they
    apply, and on normalised logits before that too (warm-up); plus the confidence penalty."""
    import torch.nn.functional as F
    from mmpretrain.structures import DataSample

    from mmengine.registry import init_default_scope

    import mmnoisy.all_modules  # noqa: F401
    from mmnoisy.registry import MODELS
    init_default_scope('mmnoisy')
    torch.manual_seed(0)
    model = MODELS.build(dict(type='NoisyClassifier',
                              backbone=dict(type='SmallCNN', in_channels=1, widths=(8, )),
                              neck=dict(type='GlobalAveragePooling'),
                              head=dict(type='LinearClsHead', num_classes=4, in_channels=8)))
    x = torch.rand(6, 1, 8, 8)
    samples = [DataSample(metainfo=dict(sample_idx=i)).set_gt_label(i % 4) for i in range(6)]
    labels = torch.arange(6) % 4
    model.sample_weights = torch.linspace(0.1, 1.0, 6)
    _, logits = model.features_and_logits(x)
    plain = model.loss(x, samples)['loss']
    assert plain.item() == pytest.approx(
        (F.cross_entropy(logits, labels, reduction='none') * model.sample_weights).mean().item(),
        rel=1e-5)
    model.sample_weights = None  # unweighted (warm-up): the ordinary logits
    assert model.loss(x, samples)['loss'].item() == pytest.approx(
        F.cross_entropy(logits, labels).item(), rel=1e-5)
    model.normalized_logits = True
    model.sample_weights = torch.linspace(0.1, 1.0, 6)
    normed = model.loss(x, samples)['loss']
    unit = F.normalize(logits, dim=1)
    assert normed.item() == pytest.approx((F.cross_entropy(
        unit, labels, reduction='none') * model.sample_weights).mean().item(), rel=1e-5)
    model.sample_weights = None  # warm-up: normalised too (the code normalises every forward)
    assert model.loss(x, samples)['loss'].item() == pytest.approx(
        F.cross_entropy(unit, labels).item(), rel=1e-5)
    model.confidence_penalty = True
    p = unit.softmax(1)
    assert model.loss(x, samples)['loss_penalty'].item() == pytest.approx(
        (p * p.log()).sum(1).mean().item(), rel=1e-5)


@pytest.mark.slow
def test_hook_switches_the_normalized_logits_on(tmp_path):
    from mmnoisy.compat import safe_torch_load
    opts = ['train_cfg.max_epochs=3', 'param_scheduler.T_max=3', 'custom_hooks.1.warmup_epochs=1',
            'default_hooks.checkpoint.max_keep_ckpts=5']
    _run(tmp_path / 'a', *opts, 'custom_hooks.1.normalized_logits=False')
    _run(tmp_path / 'b', *opts, 'custom_hooks.1.normalized_logits=True')
    a = safe_torch_load(str(tmp_path / 'a' / 'epoch_3.pth'))['state_dict']
    b = safe_torch_load(str(tmp_path / 'b' / 'epoch_3.pth'))['state_dict']
    assert not torch.equal(a['head.fc.weight'], b['head.fc.weight'])
    # normalised from epoch 0, before the weighting starts (the code's classifier)
    a1 = safe_torch_load(str(tmp_path / 'a' / 'epoch_1.pth'))['state_dict']
    b1 = safe_torch_load(str(tmp_path / 'b' / 'epoch_1.pth'))['state_dict']
    assert not torch.equal(a1['head.fc.weight'], b1['head.fc.weight'])
