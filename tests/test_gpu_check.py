"""The GPU pack (tools/benchmark/gpu_check.py): its dry run on a CPU, and its parts."""
import json
import os
import os.path as osp
import subprocess
from types import SimpleNamespace

import pytest

from tests.conftest import run_tool
from tools.benchmark import gpu_check


@pytest.mark.slow
def test_dry_run_runs_every_step(tmp_path):
    out = tmp_path / 'out'
    run_tool('tools/benchmark/gpu_check.py', '--dry-run', '--out', str(out), timeout=300)
    report = json.loads((out / 'report.json').read_text())
    assert report['dry_run'] is True and report['device'] == 'cpu'
    assert report['amp'].startswith('skipped')
    # every method's throughput, with each rate measured
    assert sorted(report['throughput']) == sorted(f'{m} fp32' for m in gpu_check.THROUGHPUT)
    for key, r in report['throughput'].items():
        assert 'error' not in r, (key, r.get('traceback'))
        for rate in ('train_images_per_s', 'step_images_per_s', 'floor_images_per_s'):
            assert r[rate] > 0, (key, rate)
        # the loader alone with the config's 2 workers (and one per core: 2 on CI)
        assert r['loader']['workers'] == 2
        assert r['loader']['images_per_s'].keys() >= {'2'}
        assert all(v > 0 for v in r['loader']['images_per_s'].values())
        assert 0 <= r['loader_wait_share'] < 1
        assert r['batch'] == 16  # the dry run caps the batch
    # the step profile: DivideMix finds its labelled rows (nonzero), CE has none to find
    prof = report['profile']
    assert sorted(prof) == ['CE', 'DivideMix']
    for name, r in prof.items():
        assert 'error' not in r, (name, r.get('traceback'))
        assert r['wall_ms'] > 0 and r['host_ms'] > 0 and r['top_host'], name
        # no GPU in the dry run: no kernels, no waits for one
        assert r['kernel_launches'] == r['device_ms'] == r['device_syncs'] == 0
        assert r['sync_counted'] is False
    assert prof['CE']['nonzero_calls'] == 0 and prof['DivideMix']['nonzero_calls'] > 0
    assert prof['CE']['scalar_reads'] == 0  # the probe's read is not counted
    # one batch of training images per epoch: one warm-up and one method epoch (VRLVMix: 3
    # warm-up epochs); two batches where DynaCor adds copies. The two-stream learners train
    # one network per iteration: both networks' method-phase terms must be in the log
    assert sorted(report['smoke']) == sorted(gpu_check.SMOKE)
    two_stream = {'DivideMix': 'loss_x', 'DivideMix+NegScale': 'loss_x',
                  'DivideMix+CCL': 'loss_x', 'UNICON': 'loss_c', 'UNICON+HMW': 'loss_c',
                  'VRLVMix': 'loss_x', 'DDyna-S': 'loss_x', 'RoLR': 'loss_refurb',
                  'RoLR+NegScale': 'loss_refurb'}
    for name, r in report['smoke'].items():
        assert 'error' not in r, (name, r.get('traceback'))
        assert r['finite'] and r['losses'], name
        if name in two_stream:
            assert all(f'{n}.{two_stream[name]}' in r['losses'] for n in ('net1', 'net2')), \
                (name, r['losses'])
            continue
        batches = 2 if name == 'DynaCor' else 1
        assert r['iterations'] == 2 * batches, name
    # the accuracy runs: 2 epochs each, DivideMix's selection after its 1 warm-up epoch
    for name in ('CE', 'DivideMix'):
        rows = report['accuracy'][name]['epochs']
        assert [e['epoch'] for e in rows] == [1, 2]
        assert all(0 <= e['top1'] <= 100 and e['epoch_s'] >= e['iter_s'] for e in rows)
    assert report['accuracy']['DivideMix']['warmup_epochs'] == 1
    assert len(report['accuracy']['DivideMix']['selection']) == 1
    assert (out / 'accuracy_dividemix.log').is_file()
    assert '18 of 18 learners' in (out / 'summary.txt').read_text()


def test_loader_batches_outnumber_the_prefetched_ones():
    # 16 workers prefetch 32 batches: timing 10 would time the drain of a full queue
    assert gpu_check.loader_batches(16, timed=10) == 128
    assert gpu_check.loader_batches(2, timed=20) == 20
    assert gpu_check.loader_batches(0, timed=1) == 8


def test_stop_after():
    # stop when the next epoch (as long as the last, 5% margin) would end past the deadline
    assert not gpu_check.stop_after(now=100, deadline=200, last_epoch_s=90)
    assert gpu_check.stop_after(now=100, deadline=200, last_epoch_s=96)
    assert gpu_check.stop_after(now=201, deadline=200, last_epoch_s=0)


class _Model:
    def __init__(self):
        self.warmup = True

    def in_warmup(self):
        return self.warmup


def test_iter_timer_counts_method_iterations_only():
    timer = gpu_check.make_iter_timer(warm=2, timed=3)
    model = _Model()
    runner = SimpleNamespace(model=model)
    batch = dict(data_samples=[0] * 7)
    for i in range(4):  # warm-up iterations are not counted
        timer.before_train_iter(runner, i, batch)
        timer.after_train_iter(runner, i, batch)
    assert timer.count == 0
    model.warmup = False
    for i in range(4):
        timer.before_train_iter(runner, i, batch)
        timer.after_train_iter(runner, i, batch)
    timer.before_train_iter(runner, 4, batch)
    with pytest.raises(gpu_check._Done):
        timer.after_train_iter(runner, 4, batch)
    assert timer.count == 5 and timer.images == 3 * 7
    assert timer.elapsed >= timer.step >= 0 and timer.elapsed >= timer.wait >= 0


def _load(name, table, **kwargs):
    config, changes = table[name]
    return gpu_check.load_config(config, changes, data_root='/data', work_dir='/tmp/w', name=name,
                                 **kwargs)


def test_load_config_changes():
    cfg = _load('VRLVMix', gpu_check.THROUGHPUT, subset_batches=2, warmup=0, max_epochs=4)
    assert cfg.model.warmup_epochs == 3  # the method's own warm-up wins
    hooks = {h['type']: h for h in cfg.custom_hooks}
    assert hooks['VRLVSelectionHook']['tau'] == 2
    assert hooks['SampleRecordHook']['signals'] == dict(loss=3, pred=3, feature=1)
    inner = cfg.train_dataloader.dataset.dataset
    assert (inner.data_root, inner.indices) == ('/data', 2 * 64)  # two batches of 64
    assert cfg.val_cfg is None and cfg.train_cfg.max_epochs == 4
    assert cfg.train_dataloader.persistent_workers is False

    cfg = _load('DynaCor', gpu_check.THROUGHPUT, tiny=True, batch_cap=16, subset_batches=3)
    inner = gpu_check.noisy_dataset(cfg.train_dataloader.dataset).dataset
    assert inner.indices == 3 * 16  # batches of the capped size
    assert 'NoisyLabelDetectionHook' not in {h['type'] for h in cfg.custom_hooks}
    assert gpu_check.noisy_dataset(cfg.train_dataloader.dataset).noise.rate == 0.5
    assert cfg.model.backbone.type == 'SmallCNN'
    assert cfg.model.head.in_channels == gpu_check.TINY_WIDTHS[-1]
    assert cfg.train_dataloader.batch_size == 16

    cfg = _load('DDyna-S', gpu_check.SMOKE, validate=True, warmup=1)
    assert cfg.model.network.head.num_classes == 10 and cfg.model.warmup_epochs == 1
    assert gpu_check.noisy_dataset(cfg.train_dataloader.dataset).dataset.type == 'CIFAR10'
    assert cfg.val_dataloader.dataset.type == 'CIFAR10'

    cfg = _load('Co-teaching', gpu_check.THROUGHPUT)
    assert cfg.model.network.backbone.type == 'PreActResNet'


def test_travelling_bytes(tmp_path):
    def git(*args):
        subprocess.run(['git', *args], cwd=tmp_path, check=True, capture_output=True)
    git('init', '-q')
    (tmp_path / '.gitignore').write_text('pack/\nbig.bin\n')  # 14 bytes
    (tmp_path / 'tracked.txt').write_text('x' * 100)
    git('add', '.gitignore', 'tracked.txt')
    (tmp_path / 'untracked.txt').write_text('y' * 10)
    (tmp_path / 'big.bin').write_bytes(b'z' * 1000)  # ignored, not carried: stays behind
    os.makedirs(tmp_path / 'pack' / 'wheels')
    (tmp_path / 'pack' / 'wheels' / 'a.whl').write_bytes(b'w' * 50)
    assert gpu_check.travelling_bytes(str(tmp_path)) == 14 + 100 + 10
    assert gpu_check.travelling_bytes(str(tmp_path), ['pack']) == 14 + 100 + 10 + 50


def test_wheels_are_pinned_once():
    names = [w.split('==')[0] for w in gpu_check.WHEELS]
    assert all('==' in w for w in gpu_check.WHEELS)
    assert len(names) == len(set(names))
    assert {'mmengine', 'mmpretrain', 'mmcv-lite'} <= set(names)
    # the shell command installs exactly these from the pack
    script = open(osp.join(gpu_check.ROOT, 'tools/benchmark/gpu_check.sh')).read()
    assert '--no-index --no-deps' in script and '"$PACK"/wheels/*.whl' in script
