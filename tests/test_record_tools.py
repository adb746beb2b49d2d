"""The per-sample record end to end through tools/train.py and tools/dist_train.sh."""
import json
import re

import numpy as np
import pytest

from tests.conftest import ROOT, free_port, run_tool

RECORD_DEMO = 'configs/demo/ce_smallcnn_digits_sym40_record.py'


def _config(tmp_path, name, body):
    path = tmp_path / f'{name}.py'
    path.write_text(body)
    return str(path)


def _deterministic(tmp_path, mode, extra=''):
    """BN-free network, lr 0: every forward of an epoch sees the same function."""
    pipeline = "pipeline=[dict(type='PackNoisyInputs')], " if mode == 'pass' else ''
    return _config(tmp_path, f'det_{mode}', f"""
_base_ = ['{ROOT}/configs/demo/ce_smallcnn_digits_sym40.py']
custom_imports = dict(imports=['tests.record_dump_hook'])
model = dict(backbone=dict(norm=False))
optim_wrapper = dict(optimizer=dict(lr=0.0))
train_cfg = dict(max_epochs=2)
val_cfg = None
val_dataloader = None
val_evaluator = None
custom_hooks = [
    dict(type='SampleRecordHook', mode='{mode}', {pipeline}
         signals=dict(loss=None, margin=None, pred=None, confidence=None, margin_sign=None)),
    dict(type='DumpRecordPerRank'),
]
{extra}
""")


def _killed_record_demo(tmp_path, epoch=2):
    """The record demo, ending the process abruptly after ``epoch`` (tests/kill_hook.py)."""
    return _config(tmp_path, 'killed', f"""
_base_ = ['{ROOT}/{RECORD_DEMO}']
custom_imports = dict(imports=['tests.kill_hook'])
custom_hooks = [
    dict(type='SampleRecordHook', mode='pass', pipeline=[dict(type='PackNoisyInputs')],
         signals=dict(loss=None, margin=None, pred=1, confidence=1)),
    dict(type='GMMConfidenceHook', signal='loss', begin_epoch=1),
    dict(type='KillAfterEpoch', epoch={epoch}),
]
""")


@pytest.fixture(scope='module')
def record_run(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('record')
    proc = run_tool('tools/train.py', RECORD_DEMO, '--work-dir', str(work_dir))
    return work_dir, proc.stdout + proc.stderr


@pytest.mark.slow
def test_record_demo_logs_selection_quality_and_exports(record_run):
    work_dir, log = record_run
    lines = re.findall(r'selection epoch (\d+) net \(GMM of net\): trusted_fraction ([\d.]+), '
                       r'precision ([\d.]+), recall ([\d.]+), f1 ([\d.]+), auroc ([\d.]+)', log)
    assert [int(line[0]) for line in lines] == list(range(2, 31))
    last = [float(v) for v in lines[-1][1:]]
    assert last[1] > 0.85 and last[4] > 0.9  # precision and AUROC on real data at 40% noise
    data = np.load(work_dir / 'sample_record.npz')
    saved = np.load(work_dir / 'noisy_labels.npz')
    assert data['net/loss'].shape == (30, 1347) and list(data['net/loss/epochs']) == list(range(30))
    assert data['net/pred'].shape == (1, 1347) and data['net/pred'].dtype == np.int16
    assert np.array_equal(data['noisy_labels'], saved['noisy_labels'])
    assert np.array_equal(data['clean_labels'], saved['clean_labels'])
    # the recorded loss is the CE against the noisy label: low where the net predicts it
    last_loss, pred = data['net/loss'][-1], data['net/pred'][0]
    agree = pred == data['noisy_labels']
    assert last_loss[agree].mean() < last_loss[~agree].mean()
    scalars = [json.loads(line) for d in work_dir.iterdir() if d.is_dir()
               for line in open(d / 'vis_data' / 'scalars.json')]
    assert any('selection/net/precision' in row for row in scalars)
    quality = json.load(open(work_dir / 'selection_quality.json'))
    # numbered from 1 as the log's 'selection epoch N': the first selection trains epoch 2
    assert [e['epoch'] for e in quality['epochs']] == list(range(2, 31))
    assert 'selection epoch 2 net' in log and 'selection epoch 30 net' in log
    assert quality['epochs'][-1]['net']['precision'] == pytest.approx(last[1], abs=1e-4)


def test_plot_sample_record(record_run, tmp_path):
    work_dir, _ = record_run
    run_tool('tools/analysis/plot_sample_record.py', str(work_dir), '--out', str(tmp_path / 'r.png'))
    assert (tmp_path / 'r.png').read_bytes()[:4] == b'\x89PNG'


@pytest.mark.slow
def test_resume_keeps_the_record(tmp_path):
    options = ['--cfg-options', 'default_hooks.checkpoint.interval=1', 'train_cfg.max_epochs=4']
    run_tool('tools/train.py', RECORD_DEMO, '--work-dir', str(tmp_path / 'a'), *options)
    killed = _killed_record_demo(tmp_path)
    proc = run_tool('tools/train.py', killed, '--work-dir', str(tmp_path / 'b'), *options,
                    check=False)
    assert proc.returncode == 17
    run_tool('tools/train.py', RECORD_DEMO, '--work-dir', str(tmp_path / 'b'), '--resume',
             *options)
    a, b = np.load(tmp_path / 'a' / 'sample_record.npz'), np.load(tmp_path / 'b' / 'sample_record.npz')
    assert sorted(a.files) == sorted(b.files)
    for key in a.files:
        assert np.array_equal(a[key], b[key], equal_nan=a[key].dtype.kind == 'f'), key
    qa = json.load(open(tmp_path / 'a' / 'selection_quality.json'))
    qb = json.load(open(tmp_path / 'b' / 'selection_quality.json'))
    assert qa == qb and len(qa['epochs']) == 3


@pytest.mark.slow
def test_online_and_pass_recording_agree_for_a_deterministic_network(tmp_path):
    for mode in ('pass', 'online'):
        run_tool('tools/train.py', _deterministic(tmp_path, mode), '--work-dir',
                 str(tmp_path / mode))
    p = np.load(tmp_path / 'pass' / 'record_rank0.npz')
    o = np.load(tmp_path / 'online' / 'record_rank0.npz')
    for key in ('net/loss', 'net/margin', 'net/confidence'):
        assert np.allclose(p[key].astype(np.float32), o[key].astype(np.float32),
                           rtol=1e-3, atol=1e-3), key
    for key in ('net/pred', 'net/margin_sign'):
        assert np.array_equal(p[key], o[key]), key


@pytest.mark.slow
@pytest.mark.parametrize('mode', ['pass', 'online'])
def test_two_processes_end_with_identical_records_equal_to_one(tmp_path, mode):
    config = _deterministic(tmp_path, mode)
    run_tool('tools/train.py', config, '--work-dir', str(tmp_path / 'single'))
    run_tool('bash', 'tools/dist_train.sh', config, '2', '--work-dir', str(tmp_path / 'dist'),
             env={'PORT': free_port()})
    one = np.load(tmp_path / 'single' / 'record_rank0.npz')
    r0 = np.load(tmp_path / 'dist' / 'record_rank0.npz')
    r1 = np.load(tmp_path / 'dist' / 'record_rank1.npz')
    for key in one.files:
        assert np.array_equal(r0[key], r1[key], equal_nan=True), key
        assert not np.isnan(r0[key].astype(np.float32)).any(), key  # no sample lost
        if r0[key].dtype.kind == 'f':
            assert np.allclose(r0[key].astype(np.float32), one[key].astype(np.float32),
                               rtol=1e-3, atol=1e-3), key
        else:
            assert np.array_equal(r0[key], one[key]), key


@pytest.mark.slow
def test_resuming_into_a_different_dataset_size_fails(record_run, tmp_path):
    work_dir, _ = record_run
    proc = run_tool('tools/train.py', RECORD_DEMO, '--work-dir', str(tmp_path),
                    '--resume', str(work_dir / 'epoch_20.pth'), '--cfg-options',
                    'train_dataloader.dataset.dataset.num_train=1000', check=False)
    assert proc.returncode != 0
    assert 'has 1347 samples but the training set has 1000' in proc.stderr


@pytest.mark.slow
def test_distributed_resume_keeps_record_and_history(tmp_path):
    """2 processes: killed after epoch 2 and resumed == uninterrupted (record, accuracy)."""
    options = ['--cfg-options', 'default_hooks.checkpoint.interval=1', 'train_cfg.max_epochs=4']

    def dist(config, work_dir, *extra, check=True):
        return run_tool('bash', 'tools/dist_train.sh', config, '2', '--work-dir', str(work_dir),
                        *extra, *options, check=check,
                        env={'PORT': free_port()})

    dist(RECORD_DEMO, tmp_path / 'a')
    killed = _killed_record_demo(tmp_path)
    assert dist(killed, tmp_path / 'b', check=False).returncode != 0
    assert (tmp_path / 'b' / 'epoch_2.pth').is_file()
    log = dist(RECORD_DEMO, tmp_path / 'b', '--resume')
    assert 'validating it' in log.stdout + log.stderr  # epoch 2's accuracy restored on resume
    a, b = np.load(tmp_path / 'a' / 'sample_record.npz'), np.load(tmp_path / 'b' / 'sample_record.npz')
    for key in a.files:
        assert np.array_equal(a[key], b[key], equal_nan=a[key].dtype.kind == 'f'), key
    assert json.load(open(tmp_path / 'a' / 'selection_quality.json')) == \
        json.load(open(tmp_path / 'b' / 'selection_quality.json'))
