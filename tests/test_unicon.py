"""UNICON and UNICON + HMW: the selection (JSD, filter rate, per-class selection, label
weights), the contrastive and semi-supervised losses, HMW's mixup weights, the CIFAR-10
AutoAugment policy, the learner's iteration, start-up errors, and runs through the tools
(end to end, kill + resume, 2 CPU processes)."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope

import mmnoisy.all_modules  # noqa: F401
from mmnoisy.models.interfaces import Selection
from mmnoisy.datasets.transforms import (CIFAR10_POLICY, autoaugment_op,
                                         cifar10_autoaugment_policies)
from mmnoisy.models.losses import mixmatch_losses, simclr_loss
from mmnoisy.registry import MODELS, TRANSFORMS
from mmnoisy.selection.hmw import mixup_hm_weights
from mmnoisy.selection.unicon import (jsd_to_label, label_weights, selection_ratio,
                                      uniform_selection, unicon_select)
from tests.conftest import ROOT, dist_train_ranks_agree, resume_matches, run_tool
from tests.test_co_training import NETWORK, batch, params
from tests.test_co_training import build as build_learner

init_default_scope('mmnoisy')
DEMO = 'configs/demo/unicon_smallcnn_digits_sym40.py'
HMW_DEMO = 'configs/demo/unicon-hmw_smallcnn_digits_sym40.py'


# ------------------------------------------------------------------------------ selection
def test_jsd_to_label_by_hand():
    probs = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])
    labels = torch.tensor([0, 0, 0])
    # p = e_y: 0; p disjoint from e_y: 1 (base 2); p = (1/2, 1/2): m = (3/4, 1/4),
    # 1/2 [1/2 log(2/3) + 1/2 log 2] + 1/2 log(4/3)
    third = 0.5 * (0.5 * math.log2(0.5 / 0.75) + 0.5 * math.log2(0.5 / 0.25)) + \
        0.5 * math.log2(4 / 3)
    got = jsd_to_label(probs, labels)
    assert torch.allclose(got, torch.tensor([0.0, 1.0, third], dtype=torch.float64))
    # the authors' natural logarithm: the same times ln 2 (at most ln 2 < d_u = 0.7)
    assert torch.allclose(jsd_to_label(probs, labels, 'e'), got * math.log(2))
    with pytest.raises(ValueError, match='base'):
        jsd_to_label(probs, labels, 1)


def test_selection_ratio_and_the_d_u_rule():
    assert selection_ratio([0.1, 0.2, 0.9, 0.8]) == (0.5, 0.5)
    # mean 0.8 > d_u = 0.7: cut = 0.8 - (0.8 - 0.6) / 5 = 0.76 keeps 0.6 and 0.75
    ratio, cut = selection_ratio([0.6, 0.9, 0.95, 0.75], d_u=0.7, tau=5)
    assert ratio == 0.5 and cut == pytest.approx(0.76)
    with pytest.raises(ValueError, match='tau'):
        selection_ratio([0.1], tau=0)


def test_uniform_selection_takes_the_same_number_per_class():
    # class 0: 6 samples, class 1: 3 samples, class 2: 1 sample; ratio 0.6 of 10 over 3
    # classes -> quota int(2.0) = 2 per class; class 2 gives its only sample
    labels = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 2])
    jsd = np.array([0.9, 0.1, 0.5, 0.3, 0.1, 0.8, 0.7, 0.2, 0.6, 0.99])
    mask = uniform_selection(jsd, labels, 3, 0.6)
    assert np.flatnonzero(mask).tolist() == [1, 4, 7, 8, 9]  # ties (0.1, 0.1) by index
    assert uniform_selection(jsd, labels, 3, 0.0).sum() == 0
    with pytest.raises(ValueError, match='labels outside'):
        uniform_selection(jsd, labels, 2, 0.5)


def test_label_weights_and_the_whole_selection():
    assert label_weights([0.2, 0.5, 0.7]).tolist() == pytest.approx([1.0, 0.5, 0.3])
    probs = np.eye(4)[[0, 1, 2, 3, 1, 2, 3, 0]]  # rows 4..7 predict another class
    out = unicon_select(probs, [0, 1, 2, 3, 0, 1, 2, 3], 4)
    assert out['ratio'] == 0.5 and out['selected'].tolist() == [True] * 4 + [False] * 4
    assert out['weights'].tolist() == [1.0] * 4 + [0.0] * 4


# --------------------------------------------------------------------------------- losses
def test_simclr_loss_by_hand():
    # two samples with orthogonal embeddings, both views equal: each anchor's positive has
    # similarity 1/T, the two negatives 0
    z = torch.eye(2, 3)
    t = 0.5
    expected = -math.log(math.exp(1 / t) / (math.exp(1 / t) + 2))
    assert simclr_loss(z, z.clone(), t).item() == pytest.approx(expected, rel=1e-6)
    # scale does not matter (embeddings are normalised); swapping views changes nothing
    z2 = torch.randn(4, 5, generator=torch.Generator().manual_seed(0))
    z1 = torch.randn(4, 5, generator=torch.Generator().manual_seed(1))
    assert simclr_loss(z1, z2, 0.05).item() == pytest.approx(
        simclr_loss(3 * z2, z1, 0.05).item(), rel=1e-5)


def test_mixmatch_losses_with_and_without_weights():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    targets = torch.tensor([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    lx, lu = mixmatch_losses(logits, targets, 2)
    ce0 = -F.log_softmax(logits[0], 0)[0]
    ce1 = -(0.5 * F.log_softmax(logits[1], 0)).sum()
    assert lx.item() == pytest.approx(((ce0 + ce1) / 2).item())
    assert lu.item() == pytest.approx(((torch.tensor([0.5, 0.5]) - targets[2])**2).mean().item())
    w = torch.tensor([0.0, 1.0, 0.5])
    lxw, luw = mixmatch_losses(logits, targets, 2, w)
    assert lxw.item() == pytest.approx((ce1 / 2).item()) and luw.item() == pytest.approx(
        lu.item() / 2)
    lx0, lu0 = mixmatch_losses(logits, targets, 3)
    assert lu0.item() == 0 and lx0.item() > 0


def test_mixup_hm_weights_by_hand():
    # C = 5, labels a = 0, b = 1: d_y = min(0.30, 0.40) = 0.30; others 2, 3, 4
    d = torch.tensor([[0.30, 0.40, 0.10, 0.20, 0.50],    # two others nearer than d_y: weighted
                      [0.10, 0.40, 0.20, 0.30, 0.50]])   # 2nd-nearest other (0.3) >= d_y: 1
    a, b = torch.tensor([0, 0]), torch.tensor([1, 1])
    w = mixup_hm_weights(d, a, b, alpha=10, beta=10, topk=1)
    aum = 1 / (1 + math.exp(-10 * (0.10 - 0.30)))         # sigmoid(alpha (d_o - d_y))
    tkum = math.exp(10 * (0.10 - 0.20))                   # exp(beta (d_o - d_next))
    assert w[0].item() == pytest.approx((aum + tkum) / 2, rel=1e-5)
    assert w[1].item() == 1.0
    assert mixup_hm_weights(d, a, b, 10, 10, 1, use_aum=False)[0].item() == pytest.approx(
        tkum, rel=1e-5)
    with pytest.raises(ValueError, match='topk \\+ 3'):
        mixup_hm_weights(d, a, b, topk=3)


def test_cifar10_autoaugment_policy():
    policies = cifar10_autoaugment_policies()
    assert len(policies) == 25 and all(len(p) == 2 for p in policies)
    assert autoaugment_op('Rotate', 0.7, 2) == dict(type='Rotate', prob=0.7,
                                                    angle=pytest.approx(30 * 2 / 9))
    assert autoaugment_op('Posterize', 0.3, 7)['bits'] == 5     # round(8 - 4 * 7 / 9)
    assert autoaugment_op('Solarize', 0.5, 2)['thr'] == 199     # round(256 - 256 * 2 / 9)
    assert autoaugment_op('TranslateY', 0.7, 9)['magnitude'] == pytest.approx(150 / 331)
    assert CIFAR10_POLICY[0] == (('Invert', 0.1, 7), ('Contrast', 0.2, 6))
    t = TRANSFORMS.build(dict(type='CIFAR10AutoAugment'))
    img = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    changed = 0
    for _ in range(20):
        out = t(dict(img=img.copy()))['img']
        assert out.shape == img.shape and out.dtype == np.uint8
        changed += not np.array_equal(out, img)
    assert changed > 5


# -------------------------------------------------------------------------------- learner
def build(**kwargs):
    # DivideMix's test helper with UNICON's type and a projector on each network
    kwargs.setdefault('network', dict(NETWORK, projector=dict(out_channels=8)))
    return build_learner('DivideMix', type='UNICON', **kwargs)


def _select(model, selected, weights=None):
    selected = torch.as_tensor(selected)
    for n in model.networks:
        model.set_selection(n, Selection(
            trust=torch.ones(len(selected)) if weights is None else weights, labelled=selected))


@pytest.mark.parametrize('hmw', [None, dict(alpha=1.0, beta=1.0)])
def test_one_iteration_uses_the_selection_and_updates_both_networks(hmw):
    model, wrappers = build(hmw=hmw)
    _select(model, [True, False] * 4)
    model.set_progress(epoch=2, iteration=5, progress=2.0, seed=0)
    before = {n: params(model, n) for n in model.networks}
    log = model.train_step(batch(views=4), wrappers)
    for name in model.networks:
        assert not torch.equal(before[name], params(model, name)), name
        assert log[f'{name}.labelled'].item() == 0.5
        assert log[f'{name}.loss_c'].item() > 0 and log[f'{name}.loss_x'].item() > 0
        assert (f'{name}.hmw_weight' in log) == (hmw is not None)
    # nothing selected: no labelled term; everything selected: no unlabelled or contrastive
    _select(model, [False] * 8)
    log = model.train_step(batch(views=4), wrappers)
    assert log['net1.loss_x'].item() == 0 and log['net1.loss_c'].item() > 0
    _select(model, [True] * 8)
    log = model.train_step(batch(views=4), wrappers)
    assert log['net1.loss_u'].item() == 0 and log['net1.loss_c'].item() == 0


def test_unicon_hmw_warmup_on_normalised_logits():
    """The HMW code's classifier normalises the logits of its warm-up forward (CE there);
    plain UNICON and UNICON + HMW without the option warm up on the ordinary logits."""
    import copy

    import torch.nn.functional as F
    labels = torch.tensor([i % 4 for i in range(8)])
    for normalized in (False, True):
        model, wrappers = build(hmw=dict(normalized_logits=normalized), warmup_epochs=2)
        model.set_progress(epoch=0, iteration=0, progress=0.0, seed=0)
        data = batch(views=4)
        x = model.data_preprocessor(copy.deepcopy(data), True)['inputs'][0]
        logits = model.net1(x)
        expect = F.cross_entropy(F.normalize(logits, dim=1) if normalized else logits, labels)
        log = model.train_step(data, wrappers)
        assert log['net1.loss'].item() == pytest.approx(expect.item(), rel=1e-5)


def test_bad_unicon_configs():
    with pytest.raises(ValueError, match='projector'):
        MODELS.build(dict(type='UNICON', network=NETWORK,
                          data_preprocessor=dict(num_classes=4, mean=[0.0], std=[1.0])))
    with pytest.raises(ValueError, match='topk=2 needs topk \\+ 3'):
        build(hmw=dict(topk=2))
    with pytest.raises(ValueError, match='alpha and beta'):
        build(hmw=dict(alpha=-1))
    with pytest.raises(ValueError, match='at least one of use_aum and use_tkum'):
        build(hmw=dict(use_aum=False, use_tkum=False))
    with pytest.raises(ValueError, match='unknown keys in hmw'):
        build(hmw=dict(gamma=1))
    with pytest.raises(ValueError, match='lambda_c'):
        build(lambda_c=-0.1)
    # options that would otherwise be ignored
    with pytest.raises(ValueError, match='UNICON has no p_threshold'):
        build(p_threshold=0.5)
    with pytest.raises(ValueError, match='plug-in losses'):
        build(aux_losses=[dict(type='NegScale', taxonomy='cifar10')])
    stacked = dict(NETWORK, projector=dict(out_channels=8),
                   head=dict(type='StackedLinearClsHead', num_classes=4, in_channels=16,
                             mid_channels=[8]))
    with pytest.raises(ValueError, match='hyperspherical HMW needs a head with class weights'):
        build(hmw=dict(), network=stacked)
    build(hmw=dict(hyperspherical=False), network=stacked)  # distances -softmax: no weights
    model, wrappers = build()
    model.set_progress(epoch=2, iteration=5, progress=2.0, seed=0)
    with pytest.raises(RuntimeError, match='UniconSelectionHook'):
        model.train_step(batch(views=4), wrappers)
    with pytest.raises(ValueError, match='needs 4 views'):
        model.train_step(batch(views=3), wrappers)


# ------------------------------------------------------------------------ runs via the tools
# the start-up check of the selection hook: tests/test_start_up.py (in-process)


@pytest.mark.slow
def test_unicon_hmw_end_to_end_and_resume(tmp_path):
    """UNICON + HMW through tools/train.py on the digits: per-class uniform selection each
    epoch; killed after epoch 2 and resumed, it ends with the weights of the uninterrupted
    run (the demo's random weak and strong views: each epoch seeded from (seed, epoch))."""
    import re
    cfg = tmp_path / 'u.py'
    cfg.write_text(f"_base_ = ['{ROOT}/{HMW_DEMO}']\n")
    hooks = ("custom_hooks = [dict(type='CoTrainingHook'),\n"
             "  dict(type='SampleRecordHook', mode='pass', begin_epoch='warmup',\n"
             "       pipeline='test', signals=dict(prob=1)),\n"
             "  dict(type='UniconSelectionHook', log_base='e', begin_epoch='warmup')")
    killed = tmp_path / 'killed.py'
    killed.write_text(f"_base_ = ['{cfg}']\ncustom_imports = dict(imports=['tests.kill_hook'])\n"
                      + hooks + ",\n  dict(type='KillAfterEpoch', epoch=2)]\n")
    opts = ['--cfg-options', 'train_cfg.max_epochs=4', 'model.warmup_epochs=1',
            'param_scheduler.T_max=4', 'default_hooks.checkpoint.interval=1']
    proc = run_tool('tools/train.py', str(cfg), '--work-dir', str(tmp_path / 'a'), *opts)
    log = proc.stdout + proc.stderr
    assert len(re.findall(r'selection epoch \d both \(UNICON JSD of net1\+net2\)', log)) == 3
    assert 'net1.hmw_weight' in log
    acc = [float(v) for v in re.findall(r'accuracy/top1: ([\d.]+)', log)]
    assert acc[-1] > 25, log[-2000:]
    resume_matches(cfg, killed, tmp_path, opts, 4)
    import json
    epochs = json.loads((tmp_path / 'a' / 'selection_quality.json').read_text())['epochs']
    assert len(epochs) == 3 and 0 < epochs[-1]['net1']['ratio'] < 1


@pytest.mark.slow
def test_uniform_selection_of_the_hook_on_a_run(tmp_path):
    """The hook's tables after a short run: equal labelled counts per given class."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmnoisy.datasets.corrupted_copy import training_label_info
    cfg = Config.fromfile(f'{ROOT}/{DEMO}')
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.max_epochs = 2
    cfg.model.warmup_epochs = 1
    cfg.param_scheduler.T_max = 2
    runner = Runner.from_cfg(cfg)
    runner.train()
    model = runner.model
    selected = model.selection('net1').labelled.numpy()
    assert torch.equal(model.selection('net1').labelled, model.selection('net2').labelled)
    labels, _, _ = training_label_info(runner.train_dataloader.dataset)
    counts = np.bincount(labels[selected], minlength=10)
    sizes = np.bincount(labels, minlength=10)
    quota = counts.max()
    assert all(c == min(quota, s) for c, s in zip(counts, sizes)), (counts, sizes)


@pytest.mark.slow
def test_unicon_distributed_two_cpu_processes(tmp_path):
    cfg = tmp_path / 'unicon_dist.py'
    cfg.write_text(f"_base_ = ['{ROOT}/{HMW_DEMO}']\n"
                   "custom_imports = dict(imports=['tests.rank_check_hook'])\n"
                   "custom_hooks = [dict(type='CoTrainingHook'),\n"
                   "  dict(type='SampleRecordHook', mode='pass', begin_epoch='warmup',\n"
                   "       pipeline='test', signals=dict(prob=1)),\n"
                   "  dict(type='UniconSelectionHook', begin_epoch='warmup'),\n"
                   "  dict(type='RankCheckHook')]\n")
    log = dist_train_ranks_agree(cfg, tmp_path)
    assert 'selection epoch 3 both (UNICON JSD of net1+net2)' in log
