"""VRLVMix as a method: the whole per-epoch partition by hand, Eq. 10's class weights, the SCAN
loss (Eq. 12), the learner's step (mixup pairs, class weights, SCAN), the selection hook in
runs through the tools (learning-rate change, resume, SCAN, two processes), SimCLR pretraining
and the neighbour file, and the bad inputs the issue names."""
import json
import math
import re

import numpy as np
import pytest
import torch

import mmnoisy.all_modules  # noqa: F401  (registers everything)
from mmnoisy.models.interfaces import Selection
from mmnoisy.models.losses import scan_loss
from mmnoisy.registry import HOOKS, MODELS
from mmnoisy.selection.vrlv import balance_weights, lr_change_epoch, vrlv_partition
from tests.conftest import ROOT, dist_train, resume_matches, run_tool, write_cifar10
from tests.test_co_training import batch, params
from tests.test_co_training import build as build_learner

DEMO = 'configs/demo/vrlvmix_smallcnn_digits_sym40.py'


# ---------------------------------------------------------------------------- pure parts
def test_scan_loss_by_hand():
    p = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    q = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    total, l_n, l_e = scan_loss(p, q, entropy_weight=2.0)
    # <p_i, q_i> = 1 and 0.5: L_N = -(log 1 + log 0.5) / 2; mean p = (0.75, 0.25)
    assert l_n.item() == pytest.approx(math.log(2) / 2)
    assert l_e.item() == pytest.approx(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert total.item() == pytest.approx(l_n.item() + 2 * l_e.item())
    # predictions spread over the classes lower the loss (L_e is the negative entropy)
    flat = scan_loss(torch.full((2, 2), 0.5), torch.full((2, 2), 0.5), 2.0)[2]
    assert flat.item() == pytest.approx(-math.log(2)) and flat < l_e


def test_balance_weights_eq10_by_hand():
    labels = np.array([0, 0, 0, 1, 2])
    labelled = np.array([1, 1, 1, 1, 0], bool)
    # D_x: three of class 0, one of class 1 + one pair of class 1 -> |D_x| = 5, C = 3
    w = balance_weights(labels, labelled, np.array([1]), 3)
    assert w.tolist() == pytest.approx([5 / (3 * 3), 5 / (2 * 3), 0.0])


def test_lr_change_factor_ignores_a_cosine_decay_but_not_a_step():
    cosine = [0.05 * (1 + math.cos(math.pi * e / 30)) / 2 + 1e-4 for e in range(30)]
    assert all(lr_change_epoch(cosine, e, 2, factor=2.0) is None for e in range(20))
    assert lr_change_epoch(cosine, 5, 2) == 3                   # any change counts without it
    step = {0: 0.02, 1: 0.02, 2: 0.002, 3: 0.002}
    assert lr_change_epoch(step, 4, 2, factor=2.0) == 2
    assert lr_change_epoch({2: 0.002, 3: 0.002}, 4, 2) is None   # epoch 1 not known: no change


def _partition_case():
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    g_l = np.array([1, 1, 1, 0, 1, 1, 0, 0], bool)              # r = 5/8, quota int(8 r / 2) = 2
    var = np.array([0.0, 0.01, 0.5, 0.02, 0.03, 0.6, 0.04, 0.7])
    losses = np.array([0.1, 0.5, 0.9, 0.2, 0.1, 0.3, 0.4, 0.8])
    # 1-D features: class 0 near 0, class 1 near 10; sample 2 (labelled 0) sits among class 1
    features = np.array([[0.0], [0.2], [9.8], [0.4], [10.0], [10.2], [10.4], [10.6]])
    return labels, g_l, var, losses, features


def test_vrlv_partition_constant_lr_by_hand():
    labels, g_l, var, losses, features = _partition_case()
    beta = np.array([0, 1, 0, 0, 0, 0, 0, 0], bool)
    kw = dict(gamma_1=0.025, gamma_2=0.45, k_enn=1, k_mix=2)
    out = vrlv_partition(labels, g_l, var, beta, losses, features, 2, False, **kw)
    assert out['ratio'] == 5 / 8 and out['quota'] == 2
    # V_c = the 5 smallest variances; V_l < 0.025; V_h > 0.45
    assert np.flatnonzero(out['sets']['V_c']).tolist() == [0, 1, 3, 4, 6]
    assert np.flatnonzero(out['sets']['V_l']).tolist() == [0, 1, 3]
    assert np.flatnonzero(out['sets']['V_h']).tolist() == [2, 5, 7]
    # D_c = V_c & G_l & beta = 0
    assert np.flatnonzero(out['clean']).tolist() == [0, 4]
    # net2 (Eq. 8): P = G_l \ D_c = {1, 2, 5}. Class 0 needs 1 of {1, 2}: ENN drops 2 (its
    # nearest D_c sample is of class 1) -> 1; class 1 needs 1 and has exactly {5}
    assert np.flatnonzero(out['net2']['labelled']).tolist() == [0, 1, 4, 5]
    # net1 (Eq. 9): P = V_c \ D_c = {1, 3, 6}. Class 0 needs 1 of {1, 3}: both pass ENN, the
    # smaller loss is 3's; class 1 takes 6
    assert np.flatnonzero(out['net1']['labelled']).tolist() == [0, 3, 4, 6]
    assert len(out['net1']['pairs']) == len(out['net2']['pairs']) == 0
    # Table IV's "w/o balancing": D_c plus the whole supplementary set
    plain = vrlv_partition(labels, g_l, var, beta, losses, features, 2, False,
                           balancing=False, **kw)
    assert np.flatnonzero(plain['net1']['labelled']).tolist() == [0, 1, 3, 4, 6]   # = V_c
    assert np.flatnonzero(plain['net2']['labelled']).tolist() == [0, 1, 2, 4, 5]   # = G_l


def test_vrlv_partition_after_a_learning_rate_change_by_hand():
    labels, g_l, var, losses, features = _partition_case()
    beta = np.array([1, 0, 1, 1, 0, 1, 0, 0], bool)             # prediction at t* != at t* + tau
    out = vrlv_partition(labels, g_l, var, beta, losses, features, 2, True, gamma_1=0.025,
                         gamma_2=0.45)
    # D_c = (V_l & G_l | V_h) & beta = ({0, 1} | {2, 5, 7}) & {0, 2, 3, 5} = {0, 2, 5}
    assert np.flatnonzero(out['clean']).tolist() == [0, 2, 5]
    # quota 2: class 0 is full; class 1 takes the smallest-loss G_l sample left (4)
    for net in ('net1', 'net2'):
        assert np.flatnonzero(out[net]['labelled']).tolist() == [0, 2, 4, 5]


def test_vrlv_partition_refuses_mismatched_lengths():
    labels, g_l, var, losses, features = _partition_case()
    with pytest.raises(ValueError, match='one value per sample'):
        vrlv_partition(labels, g_l[:-1], var, np.zeros(8, bool), losses, features, 2, False)


# ------------------------------------------------------------------------------- learner
def build(**kwargs):
    return build_learner('DivideMix', type='VRLVMix', **kwargs)


class FakeFetch:
    """Stands in for the hook's SampleFetcher: constant images, remembers what was asked."""

    def __init__(self):
        self.asked = []

    def __call__(self, indices):
        self.asked.append(list(map(int, indices)))
        return torch.full((len(indices), 1, 6, 6), 2.0)


def _tables(model, selected, pairs=None, class_weights=None, scan=None):
    n = len(selected)
    for name in model.networks:
        partner = torch.full((n, ), -1, dtype=torch.long)
        plabel = torch.zeros(n, dtype=torch.long)
        for pool, (anchor, label) in (pairs or {}).items():
            partner[pool], plabel[pool] = anchor, label
        model.set_selection(name, Selection(
            trust=torch.full((n, ), 0.8), labelled=torch.as_tensor(selected), pairs=partner,
            pair_labels=plabel, class_weights=class_weights, scan=scan))
    model.fetch_samples = FakeFetch()


def test_one_iteration_with_pairs_class_weights_and_scan_updates_both_networks():
    model, wrappers = build(scan=dict(neighbours='unused.npy', noise_rate=0.0))
    scan = torch.full((8, 3), -1, dtype=torch.int32)
    scan[0, 1], scan[3, 0] = 5, 7                     # rows 0 and 3 have a same-class neighbour
    _tables(model, [True, False] * 4, pairs={1: (0, 2), 3: (2, 3), 4: (6, 1)},
            class_weights=torch.tensor([1.0, 2.0, 0.5, 1.0]), scan=scan)
    model.set_progress(epoch=2, iteration=5, progress=2.0, seed=0)
    before = {n: params(model, n) for n in model.networks}
    log = model.train_step(batch(views=2), wrappers)
    for name in model.networks:
        assert not torch.equal(before[name], params(model, name)), name
        # pool samples 1 and 3 are unlabelled: two pairs; sample 4 is labelled, no pair
        assert log[f'{name}.pairs'].item() == 2
        assert log[f'{name}.loss_scan'].item() != 0
    # per network: the pair anchors (0, 2), then one neighbour each of rows 0 and 3
    assert model.fetch_samples.asked == [[0, 2], [5, 7], [0, 2], [5, 7]]


def test_class_weights_scale_the_labelled_rows():
    # all labelled, one class per sample; uniform weights 1 give the plain loss, weights 2
    # double L_x (the weights multiply every labelled row)
    losses = {}
    for w in (1.0, 2.0):
        model, wrappers = build()
        _tables(model, [True] * 8, class_weights=torch.full((4, ), w))
        model.set_progress(epoch=2, iteration=5, progress=2.0, seed=0)
        losses[w] = model.train_step(batch(views=2), wrappers)['net1.loss_x'].item()
    assert losses[2.0] == pytest.approx(2 * losses[1.0], rel=1e-5)


def test_bad_vrlvmix_configs():
    with pytest.raises(ValueError, match='SCAN needs the neighbour file'):
        build(scan=dict(entropy_weight=2.0))
    with pytest.raises(ValueError, match='unknown keys in scan'):
        build(scan=dict(neighbours='n.npy', lambda_e=2))
    with pytest.raises(ValueError, match='noise_rate must be in'):
        build(scan=dict(neighbours='n.npy', noise_rate=1.5))
    with pytest.raises(ValueError, match='CCL terms'):
        build(ccl=dict())
    with pytest.raises(ValueError, match='gamma_1 .* must not exceed gamma_2'):
        HOOKS.build(dict(type='VRLVSelectionHook', gamma_1=0.3, gamma_2=0.1))
    with pytest.raises(ValueError, match='tau must be >= 2'):
        HOOKS.build(dict(type='VRLVSelectionHook', tau=1))
    with pytest.raises(ValueError, match='lr_change_factor'):
        HOOKS.build(dict(type='VRLVSelectionHook', lr_change_factor=1.0))
    model, wrappers = build()
    model.set_progress(epoch=2, iteration=5, progress=2.0, seed=0)
    with pytest.raises(RuntimeError, match='VRLVSelectionHook'):
        model.train_step(batch(views=2), wrappers)


def test_adjust_hue_works_for_negative_factors_under_numpy_2():
    """mmcv's adjust_hue overflows for hue < 0 under numpy 2 (SimCLR's colour jitter): ours
    rotates the hue modulo 256, the same as mmcv's for a positive factor."""
    import cv2
    import mmcv

    from mmnoisy.compat import adjust_hue
    from mmnoisy.utils import register_all_modules
    register_all_modules(init_default_scope=False)  # applies compat's patches
    img = np.random.default_rng(0).integers(0, 256, (4, 4, 3), dtype=np.uint8)
    assert mmcv.adjust_hue is adjust_hue
    h = cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL)[..., 0].astype(int)
    out = cv2.cvtColor(adjust_hue(img, -0.1), cv2.COLOR_BGR2HSV_FULL)[..., 0].astype(int)
    shift = (out - h) % 256   # -25 mod 256, up to the rounding of the colour conversions
    assert np.median(shift) == 231
    with pytest.raises(ValueError, match='hue_factor'):
        adjust_hue(img, 0.7)


# ------------------------------------------------------------------------ runs via the tools
def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


HOOKS_TAU2 = ("custom_hooks = [dict(type='CoTrainingHook'),\n"
              "  dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch=0,\n"
              "       signals=dict(loss=3, pred=3, feature=1)),\n"
              "  dict(type='VRLVSelectionHook', tau=2, begin_epoch='warmup'{extra}){more}]\n")


@pytest.mark.slow
def test_vrlvmix_end_to_end_lr_change_and_resume(tmp_path):
    """The digits demo, 6 epochs (warm-up 1, lr /10 from the 3rd epoch, tau 2): in epoch 2
    the record (from epoch 0) holds 2 epochs of losses, too few for tau = 2, so the selection
    is DivideMix's; VRLV from epoch 3, the lr-change branch at epoch 5 (3 + tau); killed after
    epoch 3 and resumed (random views), the run ends with the uninterrupted run's weights
    and selections."""
    cfg = _write(tmp_path, 'v.py', f"_base_ = ['{ROOT}/{DEMO}']\n" +
                 HOOKS_TAU2.format(extra='', more=''))
    killed = _write(tmp_path, 'k.py', f"_base_ = ['{cfg}']\n"
                    "custom_imports = dict(imports=['tests.kill_hook'])\n" +
                    HOOKS_TAU2.format(extra='', more=',\n  dict(type="KillAfterEpoch", epoch=3)'))
    opts = ['--cfg-options', 'train_cfg.max_epochs=6', 'model.warmup_epochs=1',
            'param_scheduler.milestones=[2]', 'default_hooks.checkpoint.interval=1',
            'default_hooks.checkpoint.max_keep_ckpts=7']
    proc = run_tool('tools/train.py', str(cfg), '--work-dir', str(tmp_path / 'a'), *opts)
    log = proc.stdout + proc.stderr
    modes = re.findall(r'VRLV epoch (\d): ([^;]+);', log)
    assert modes == [('2', 'GMM co-divide (VRLV waits for 3 epochs of losses, has 2)'),
                     ('3', 'lr constant'), ('4', 'lr constant'),
                     ('5', 'lr changed at epoch 3'), ('6', 'lr constant')], modes
    assert 'D_c_size' in log and 'D_c_precision' in log and 'vrlv_auroc' in log
    history = json.loads((tmp_path / 'a' / 'selection_quality.json').read_text())['epochs']
    assert len(history) == 5 and history[-1]['net1']['V_c_size'] > 0
    # the JSON numbers the selections as the log does ('VRLV epoch N', 1-based)
    assert [h['epoch'] for h in history] == [int(epoch) for epoch, _ in modes]
    resume_matches(cfg, killed, tmp_path, opts, 6)
    hb = json.loads((tmp_path / 'b' / 'selection_quality.json').read_text())['epochs']
    assert [h['net1']['mode'] for h in hb] == [h['net1']['mode'] for h in history]
    assert hb[-1]['net2']['D_x'] == history[-1]['net2']['D_x']


@pytest.mark.slow
def test_scan_runs_on_a_neighbour_file(tmp_path):
    """Neighbours of the digits training images (pixels, cosine) and features from a file;
    SCAN switched on by a noise-rate threshold of 0."""
    from mmengine.config import Config

    from mmnoisy.registry import DATASETS
    from mmnoisy.selection.neighbours import knn_cosine
    from mmnoisy.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(f'{ROOT}/{DEMO}')
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    pixels = np.stack([ds.get_data_info(i)['img'].reshape(-1) for i in range(len(ds))])
    np.save(tmp_path / 'nbrs.npy', knn_cosine(pixels.astype(np.float32), 5).astype(np.int32))
    np.save(tmp_path / 'feats.npy', pixels.astype(np.float16))
    run = _write(tmp_path, 'scan.py', f"_base_ = ['{ROOT}/{DEMO}']\n"
                 f"model = dict(scan=dict(neighbours='{tmp_path}/nbrs.npy', noise_rate=0.0))\n" +
                 HOOKS_TAU2.format(extra=f", features='{tmp_path}/feats.npy'", more=''))
    proc = run_tool('tools/train.py', str(run), '--work-dir', str(tmp_path / 'w'),
                    '--cfg-options', 'train_cfg.max_epochs=3', 'model.warmup_epochs=1')
    log = proc.stdout + proc.stderr
    assert re.search(r'VRLV epoch 3: lr constant; estimated noise rate [0-9.]+, SCAN on', log)
    assert 'net1.loss_scan' in log and 'net2.scan_entropy' in log


@pytest.mark.slow
def test_vrlvmix_distributed_two_cpu_processes(tmp_path):
    cfg = _write(tmp_path, 'vd.py', f"_base_ = ['{ROOT}/{DEMO}']\n"
                 "custom_imports = dict(imports=['tests.rank_check_hook'])\n" +
                 HOOKS_TAU2.format(extra='', more=",\n  dict(type='RankCheckHook')"))
    log = dist_train(cfg, tmp_path, 'train_cfg.max_epochs=3', 'model.warmup_epochs=1')
    for rank in (0, 1):
        text = (tmp_path / f'rank_check_{rank}.txt').read_text()
        assert text.strip() == 'net1 equal\nnet2 equal\ntrust equal', text
    assert 'VRLV epoch 3: lr constant' in log


@pytest.mark.slow
def test_simclr_pretraining_and_neighbour_mining(tmp_path):
    """mmpretrain's SimCLR on a fake CIFAR-10 for one epoch through tools/train.py, then
    tools/vrlvmix/mine_neighbours.py: (N, D) features and (N, k) neighbours, self excluded."""
    root = tmp_path / 'cifar'
    write_cifar10(root, num_train=40, num_test=10)
    simclr = 'configs/vrlvmix/simclr_resnet18_1xb512-500e_cifar10.py'
    run_tool('tools/train.py', simclr, '--work-dir', str(tmp_path / 's'), '--cfg-options',
             f'train_dataloader.dataset.data_root={root}', 'train_dataloader.batch_size=8',
             'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
             'train_cfg.max_epochs=1')
    out = tmp_path / 'nb'
    args = [simclr, str(tmp_path / 's' / 'epoch_1.pth'), '--data-config',
            'configs/vrlvmix/vrlvmix_preactresnet18_1xb64-300e_cifar10-sym20.py',
            '--out-dir', str(out), '--k', '4', '--num-workers', '0', '--cfg-options',
            f'train_dataloader.dataset.dataset.data_root={root}']
    run_tool('tools/vrlvmix/mine_neighbours.py', *args)
    nbrs, feats = np.load(out / 'neighbours.npy'), np.load(out / 'features.npy')
    assert nbrs.shape == (40, 4) and feats.shape == (40, 512)
    assert (nbrs != np.arange(40)[:, None]).all() and nbrs.min() >= 0 and nbrs.max() < 40
    # without a checkpoint the encoder's init_cfg gives the weights (Clothing1M: torchvision's
    # ImageNet ResNet-50); here a local file, the same SimCLR backbone -> the same features
    enc = _write(tmp_path, 'enc.py', f"_base_ = ['{ROOT}/{simclr}']\n"
                 "model = dict(backbone=dict(init_cfg=dict(type='Pretrained', prefix='backbone.',"
                 f" checkpoint='{tmp_path}/s/epoch_1.pth')))\n")
    no_ckpt = [str(enc)] + args[2:]
    no_ckpt[no_ckpt.index('--out-dir') + 1] = str(tmp_path / 'nb2')
    run_tool('tools/vrlvmix/mine_neighbours.py', *no_ckpt)
    assert np.array_equal(np.load(tmp_path / 'nb2' / 'features.npy'), feats)
    args[args.index('--k') + 1] = '40'
    proc = run_tool('tools/vrlvmix/mine_neighbours.py', *args, check=False)
    assert proc.returncode != 0 and '--k must be in [1, 39]' in proc.stderr


@pytest.mark.slow
def test_vrlvmix_model_builds_from_every_config():
    import glob

    from mmengine.config import Config
    for path in sorted(glob.glob(f'{ROOT}/configs/vrlvmix/vrlvmix_*.py')):
        cfg = Config.fromfile(path)
        model = MODELS.build(cfg.model)
        if model.scan is not None:
            assert model.scan['neighbours'].endswith('neighbours.npy'), path
        assert ('wo-scan' in path or 'wo-balancing-scan' in path) == (
            model.scan is None and ('sym80' in path or 'sym90' in path or 'cifar100-asym40' in
                                    path)), path
        assert model.vrlv == ('wo-vrlv' not in path), path
        assert model.balancing == model.class_balance == ('wo-balancing' not in path), path


@pytest.mark.slow
@pytest.mark.parametrize('switch', ['vrlv', 'balancing'])
def test_table_iv_ablation_switches_in_a_run(tmp_path, switch):
    """model.vrlv=False: every epoch is the balanced GMM co-divide; model.balancing=False: no
    pairs and no class weights (D_x = D_c plus the supplementary set)."""
    cfg = _write(tmp_path, 'a.py', f"_base_ = ['{ROOT}/{DEMO}']\nmodel = dict({switch}=False)\n" +
                 HOOKS_TAU2.format(extra='', more=''))
    proc = run_tool('tools/train.py', str(cfg), '--work-dir', str(tmp_path / 'w'),
                    '--cfg-options', 'train_cfg.max_epochs=4', 'model.warmup_epochs=1')
    log = proc.stdout + proc.stderr
    history = json.loads((tmp_path / 'w' / 'selection_quality.json').read_text())['epochs']
    if switch == 'vrlv':
        assert all(h['net1']['mode'] == 'w/o VRLV: GMM co-divide, balanced' for h in history)
        assert 'V_c_size' not in history[-1]['net1']
    else:
        assert history[-1]['net1']['mode'] == 'lr constant'
        assert all(h[n]['pairs'] == 0 for h in history for n in ('net1', 'net2'))
        assert 'net1.pairs: 0.0000' in log


def test_the_hook_keeps_rank_rows_and_matches_the_pure_variance():
    from mmnoisy.selection.vrlv import vrlv_variance

    class Record:  # the part of SampleRecord the hook reads
        def __init__(self):
            self.losses = {}

        def recorded_epochs(self, net, name):
            return sorted(self.losses)[-4:]

        def get(self, net, name, last):
            return np.stack([self.losses[e] for e in self.recorded_epochs(net, name)[-last:]])

    hook = HOOKS.build(dict(type='VRLVSelectionHook', tau=3))
    record, rng = Record(), np.random.default_rng(0)
    for epoch in range(8):
        record.losses[epoch] = rng.random(50).astype(np.float32)
        if epoch < 3:
            with pytest.raises(ValueError, match='needs 4 recorded epochs'):
                hook.variance(record)
            continue
        if epoch == 6:
            hook.rank_rows = {}     # as after a resume: rebuilt from the record
        expected = vrlv_variance(record.get('net2', 'loss', 4), 3)
        assert np.array_equal(hook.variance(record), expected)
        assert sorted(hook.rank_rows) == [epoch - 2, epoch - 1, epoch]


def test_high_noise_configs_start_both_networks_from_the_simclr_encoder(tmp_path):
    """Algorithm 1, line 2 (WarmUp(D, f_phi)): with the SimCLR encoder of the config's first
    step, both networks' backbones start from its weights; at 90% noise the GMM averages 5
    epochs (DivideMix's code)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS
    init_default_scope('mmpretrain')
    simclr_cfg = Config.fromfile(f'{ROOT}/configs/vrlvmix/simclr_resnet18_1xb512-500e_cifar10.py')
    torch.manual_seed(0)
    simclr = PRETRAIN_MODELS.build(simclr_cfg.model)
    ckpt = tmp_path / 'epoch_500.pth'
    torch.save({'state_dict': simclr.state_dict()}, ckpt)
    init_default_scope('mmnoisy')
    for ds in ('cifar10', 'cifar100'):
        cfg = Config.fromfile(
            f'{ROOT}/configs/vrlvmix/vrlvmix_preactresnet18_1xb64-300e_{ds}-sym80.py')
        init = cfg.model.network.backbone.init_cfg
        assert init.type == 'Pretrained' and init.prefix == 'backbone.'
        assert init.checkpoint == f'work_dirs/simclr_resnet18_1xb512-500e_{ds}/epoch_500.pth'
        sym90 = Config.fromfile(
            f'{ROOT}/configs/vrlvmix/vrlvmix_preactresnet18_1xb64-300e_{ds}-sym90.py')
        hook = [h for h in sym90.custom_hooks if h.type == 'VRLVSelectionHook'][0]
        assert hook.average_last == 5 and sym90.model.network.backbone.init_cfg == init
    cfg.model.network.backbone.init_cfg.checkpoint = str(ckpt)
    cfg.model.scan = None
    model = MODELS.build(cfg.model)
    model.init_weights()
    for name in ('net1', 'net2'):
        state = getattr(model, name).backbone.state_dict()
        for key, value in simclr.backbone.state_dict().items():
            assert torch.equal(state[key], value), (name, key)
