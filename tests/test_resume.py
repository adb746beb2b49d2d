"""A run killed in the middle of an epoch and resumed with --resume ends bit-identical to the
uninterrupted run: weights, optimizer state, per-sample record, selection tables, accuracy
history. Random augmentation on (the demos' crops from numpy, RandAugment and Cutout from
Python's random), with and without data workers, and under 2-process DDP."""
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmnoisy.utils.seeding import epoch_seed, seed_epoch, seed_worker
from tests.conftest import ROOT, free_port, run_tool

DEMOS = {
    'DivideMix': 'configs/demo/dividemix_smallcnn_digits_sym40.py',
    'UNICON': 'configs/demo/unicon_smallcnn_digits_sym40.py',
    'VRLVMix': 'configs/demo/vrlvmix_smallcnn_digits_sym40.py',
    'CE+HMW': 'configs/demo/hmw_ce_smallcnn_digits_sym40.py',
    # RandAugment and Cutout on the strong view draw from Python's random, not numpy
    'RoLR': 'configs/demo/rolr_smallcnn_digits_sym40.py',
}
# 3 epochs: warm-up, one epoch of the method (its selection made at its start), then the
# epoch killed in its middle; checkpoints after every epoch, so the resume starts at epoch 2
OPTIONS = ['train_cfg.max_epochs=3', 'default_hooks.checkpoint.interval=1',
           'default_hooks.checkpoint.max_keep_ckpts=5', 'default_hooks.logger.interval=1']
KILL_AT = dict(epoch=3, iteration=2)


def _edit(method, cfg, workers):
    # 600 of the 1,347 training digits and 300 test digits: a few iterations an epoch
    cfg.train_dataloader.dataset.dataset.indices = 600
    cfg.val_dataloader.dataset.indices = cfg.test_dataloader.dataset.indices = 300
    if method == 'CE+HMW':
        # the CE demo trains on the plain image: add a random crop, and weight from epoch 2
        cfg.train_dataloader.dataset.dataset.pipeline = [
            dict(type='RandomCrop', crop_size=8, padding=1), dict(type='PackNoisyInputs')]
        for hook in cfg.custom_hooks:
            if hook['type'] == 'HMWHook':
                hook['warmup_epochs'] = 1
    else:
        cfg.model.warmup_epochs = 1
        if cfg.param_scheduler.get('type') == 'CosineAnnealingLR':
            cfg.param_scheduler.T_max = 3
    if workers:
        cfg.train_dataloader.num_workers = workers
        cfg.train_dataloader.persistent_workers = True  # NoisyRunner turns it off


def _configs(tmp_path, method, workers=0):
    paths = []
    for kill in (False, True):
        cfg = Config.fromfile(osp.join(ROOT, DEMOS[method]))
        _edit(method, cfg, workers)
        if kill:
            cfg.custom_imports = dict(imports=['tests.kill_hook'], allow_failed_imports=False)
            cfg.custom_hooks = list(cfg.custom_hooks) + [dict(type='KillAtIteration', **KILL_AT)]
        path = tmp_path / f"{'killed' if kill else 'run'}.py"
        cfg.dump(str(path))
        paths.append(path)
    return paths


def assert_same(a, b, where='checkpoint'):
    """Equal to the bit: tensors, arrays, numbers, strings, nested dicts and lists."""
    if isinstance(a, torch.Tensor):
        same = isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
        assert same, f'{where} differs'
    elif isinstance(a, np.ndarray):
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == 'f'), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), (where, set(a) ^ set(b))
        for key in a:
            assert_same(a[key], b[key], f'{where}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f'{where}[{i}]')
    else:
        assert a == b, (where, a, b)


def assert_checkpoints_equal(path_a, path_b):
    a = torch.load(path_a, weights_only=False)
    b = torch.load(path_b, weights_only=False)
    assert a.keys() == b.keys()
    for key in a:
        if key in ('meta', 'message_hub'):  # times, the config's work dir, log scalars
            continue
        assert_same(a[key], b[key], key)
    history = 'mmnoisy/accuracy_history'
    assert_same(a['message_hub']['runtime_info'][history],
                b['message_hub']['runtime_info'][history], history)
    return a


def _run_killed_and_resumed(tmp_path, run, killed, launch):
    launch(run, tmp_path / 'a')
    proc = launch(killed, tmp_path / 'b', check=False)
    assert proc.returncode != 0, (proc.stdout + proc.stderr)[-3000:]
    assert (tmp_path / 'b' / 'epoch_2.pth').is_file()
    assert not (tmp_path / 'b' / 'epoch_3.pth').exists()
    launch(run, tmp_path / 'b', '--resume')
    return assert_checkpoints_equal(tmp_path / 'a' / 'epoch_3.pth', tmp_path / 'b' / 'epoch_3.pth')


def _train(config, work_dir, *extra, check=True):
    return run_tool('tools/train.py', str(config), '--work-dir', str(work_dir), *extra,
                    '--cfg-options', *OPTIONS, check=check)


@pytest.mark.slow
@pytest.mark.parametrize('method', list(DEMOS))
def test_kill_mid_epoch_then_resume_is_exact(method, tmp_path):
    run, killed = _configs(tmp_path, method)
    ckpt = _run_killed_and_resumed(tmp_path, run, killed, _train)
    if method != 'CE+HMW':
        assert 'sample_record' in ckpt  # the selection's input crossed the resume too


@pytest.mark.slow
def test_kill_mid_epoch_then_resume_is_exact_with_workers(tmp_path):
    run, killed = _configs(tmp_path, 'DivideMix', workers=2)
    _run_killed_and_resumed(tmp_path, run, killed, _train)
    log = (next((tmp_path / 'a').glob('*/*.log'))).read_text()
    assert 'persistent_workers=False' in log


@pytest.mark.slow
def test_kill_mid_epoch_then_resume_is_exact_under_ddp(tmp_path):
    run, killed = _configs(tmp_path, 'DivideMix')

    def dist(config, work_dir, *extra, check=True):
        return run_tool('bash', 'tools/dist_train.sh', str(config), '2', '--work-dir',
                        str(work_dir), *extra, '--cfg-options', *OPTIONS,
                        env={'PORT': free_port()}, check=check)
    _run_killed_and_resumed(tmp_path, run, killed, dist)
    # the checkpoint of a 2-process run (networks saved as net1.module.*) loads into one
    # process and scores what the distributed validation scored (BN statistics synced)
    log = next((tmp_path / 'a').glob('*/*.log')).read_text()
    val = re.findall(r'Epoch\(val\) \[3\].*?accuracy/top1: ([0-9.]+)', log)[-1]
    proc = run_tool('tools/test.py', str(run), str(tmp_path / 'a' / 'epoch_3.pth'),
                    '--work-dir', str(tmp_path / 'test'))
    assert re.findall(r'accuracy/top1: ([0-9.]+)', proc.stdout + proc.stderr)[-1] == val


def test_random_augmentation_differs_between_epochs_and_workers(tmp_path):
    """Without this, each epoch's workers repeated the same crops (mmengine seeds a worker
    with seed + worker_id in every epoch)."""
    import torch.utils.data as tud

    class Draws(tud.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return torch.tensor([np.random.randint(1 << 30), torch.randint(1 << 30, ()).item()])

    def epoch_draws(epoch, workers):
        seed_epoch(7, epoch)
        loader = tud.DataLoader(Draws(), batch_size=1, num_workers=workers,
                                worker_init_fn=seed_worker)
        return torch.cat(list(loader)).tolist()

    e0, e1, e0_again = epoch_draws(0, 2), epoch_draws(1, 2), epoch_draws(0, 2)
    assert e0 == e0_again          # (seed, epoch) fixes what the workers draw
    assert e0 != e1                # and the next epoch draws afresh
    w0, w1 = e0[0], e0[1]          # samples 0 and 1 went to workers 0 and 1
    assert w0 != w1                # each worker its own stream (numpy and torch)
    assert epoch_draws(0, 0) == epoch_draws(0, 0) != epoch_draws(1, 0)  # in-process too


def test_epoch_seed_depends_on_seed_epoch_and_rank():
    seeds = {epoch_seed(s, e, r) for s in (0, 1) for e in (0, 1, 2) for r in (0, 1)}
    assert len(seeds) == 12 and all(0 <= s < 2**63 for s in seeds)
    assert epoch_seed(3, 4, 1) == epoch_seed(3, 4, 1)
    seed_epoch(5, 2)
    first = (np.random.rand(), torch.rand(()).item())
    seed_epoch(5, 2)
    assert (np.random.rand(), torch.rand(()).item()) == first


def test_previous_checkpoint_skips_damaged_files(tmp_path):
    from mmnoisy.engine.runner import previous_checkpoint
    for epoch in (1, 2, 3, 4):
        torch.save({'state_dict': {}}, tmp_path / f'epoch_{epoch}.pth')
    (tmp_path / 'epoch_3.pth').write_bytes(b'')           # damaged
    (tmp_path / 'best_acc.pth').write_bytes(b'PK')        # not an epoch checkpoint
    assert previous_checkpoint(str(tmp_path / 'epoch_4.pth')) == str(tmp_path / 'epoch_2.pth')
    # last_checkpoint naming a file that is gone: the newest complete one, whatever its N
    assert previous_checkpoint(str(tmp_path / 'epoch_2.pth'), older=False) == \
        str(tmp_path / 'epoch_4.pth')
    assert previous_checkpoint(str(tmp_path / 'epoch_1.pth')) is None
