import hashlib
import json
import os
import re
import sys

import numpy as np
import pytest
import torch

from mmnoisy.noise import apply_noise, save_noise
from tests.conftest import ROOT, run_tool

sys.path.insert(0, ROOT)
from tools.analysis import plot_noise  # noqa: E402
from tools.misc import print_config, publish_model  # noqa: E402


def test_publish_model_strips_state_and_names_by_hash(tmp_path):
    from mmengine.logging import HistoryBuffer
    ckpt = {'meta': {'epoch': 3}, 'state_dict': {'w': torch.ones(2)},
            'optimizer': {'state': {}}, 'message_hub': {'x': HistoryBuffer()}}
    torch.save(ckpt, tmp_path / 'epoch_3.pth')
    out = publish_model.publish(str(tmp_path / 'epoch_3.pth'), str(tmp_path / 'model.pth'),
                                add_date=False)
    match = re.fullmatch(r'.*model-([0-9a-f]{8})\.pth', out)
    assert match
    assert hashlib.sha256(open(out, 'rb').read()).hexdigest().startswith(match.group(1))
    slim = torch.load(out, weights_only=True)
    assert set(slim) == {'meta', 'state_dict'}
    assert [f for f in os.listdir(tmp_path) if 'tmp' in f] == []


def test_print_config_resolves_inheritance(capsys):
    print_config.main([os.path.join(ROOT, 'configs/demo/ce_smallcnn_digits_sym40.py'),
                       '--cfg-options', 'train_cfg.max_epochs=3'])
    out = capsys.readouterr().out
    assert "type='NoisyLabelDataset'" in out and 'max_epochs=3' in out


def test_plot_noise_from_saved_labels_and_from_config(tmp_path):
    res = apply_noise(dict(type='pairflip', rate=0.3), np.arange(200) % 10, 10)
    save_noise(res, str(tmp_path / 'noisy_labels.npz'))
    matrix, title, _ = plot_noise.load_matrix(str(tmp_path / 'noisy_labels.npz'))
    assert np.allclose(matrix, res.transition_matrix) and '30.0%' in title
    out = plot_noise.plot(matrix, title, str(tmp_path / 'a.png'))
    assert open(out, 'rb').read(4) == b'\x89PNG'
    matrix, title, classes = plot_noise.load_matrix(
        os.path.join(ROOT, 'configs/demo/ce_smallcnn_digits_sym40.py'))
    assert matrix.shape == (10, 10) and 'symmetric' in title and len(classes) == 10


def test_enable_amp_switches_every_optimizer_wrapper(monkeypatch):
    import pytest
    from mmengine.config import Config

    from mmnoisy.utils.tools import enable_amp
    single = Config(dict(optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1))))
    double = Config(dict(optim_wrapper=dict(
        constructor='MultiOptimWrapperConstructor',
        net1=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)),
        net2=dict(optimizer=dict(type='Adam', lr=0.1)))))
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(ValueError, match='needs a CUDA GPU'):
        enable_amp(single)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    assert enable_amp(single).optim_wrapper.type == 'AmpOptimWrapper'
    out = enable_amp(double).optim_wrapper
    assert out.net1.type == out.net2.type == 'AmpOptimWrapper'
    assert out.net1.loss_scale == out.net2.loss_scale == 'dynamic'
    with pytest.raises(ValueError, match='found no optimizer'):
        enable_amp(Config(dict(optim_wrapper=dict(constructor='X'))))


def test_noise_benchmark_runs_on_tiny_data(cifar10_root, capsys):
    from tools.benchmark import bench_noisy_dataset
    bench_noisy_dataset.main([cifar10_root, '--rounds', '2', '--block', '16',
                              '--batch-size', '8'])
    out = capsys.readouterr().out
    assert 'training set: 50 images' in out and 'wrapper overhead' in out


def test_record_benchmark_runs_on_tiny_data(cifar10_root, capsys):
    from tools.benchmark import bench_sample_record
    bench_sample_record.main([cifar10_root, '--repeats', '1', '--batch-size', '16',
                              '--gmm-samples', '2000', '--record-samples', '1000'])
    out = capsys.readouterr().out
    assert 'ratio recording / bare' in out and 'gmm_clean_posterior' in out
    assert '0.001 GB' in out  # 1000 x 200 x (2 + 2 + 1) bytes


def test_train_options_are_merged_before_worker_settings():
    from mmengine.config import Config

    from tools import train
    args = train.parse_args([os.path.join(ROOT, 'configs/baselines/ce_smallcnn_cifar10_sym50.py'),
                             '--cfg-options', 'train_dataloader.num_workers=0'])
    cfg = train.merge_args(Config.fromfile(args.config), args)
    assert cfg.train_dataloader.num_workers == 0
    assert cfg.train_dataloader.persistent_workers is False   # would crash the DataLoader
    assert cfg.val_dataloader.persistent_workers is True      # 2 workers kept
    args = train.parse_args([args.config, '--no-persistent-workers', '--resume'])
    cfg = train.merge_args(Config.fromfile(args.config), args)
    assert cfg.val_dataloader.persistent_workers is False and cfg.resume is True
    # with workers, the training loader still starts them afresh each epoch (exact resume)
    cfg = train.merge_args(Config.fromfile(args.config), train.parse_args([args.config]))
    assert cfg.train_dataloader.num_workers > 0
    assert not cfg.train_dataloader.get('persistent_workers', False)
    assert cfg.val_dataloader.persistent_workers is True


def test_auto_scale_lr_needs_a_base_batch_size():
    import pytest
    from mmengine.config import Config

    from tools import train
    demo = os.path.join(ROOT, 'configs/demo/ce_smallcnn_digits_sym40.py')
    args = train.parse_args([demo, '--auto-scale-lr'])
    with pytest.raises(ValueError, match='base_batch_size'):
        train.merge_args(Config.fromfile(demo), args)
    sce = os.path.join(ROOT, 'configs/baselines/sce_cifar10_sym50.py')
    cfg = train.merge_args(Config.fromfile(sce), train.parse_args([sce, '--auto-scale-lr']))
    assert cfg.auto_scale_lr == dict(base_batch_size=64, enable=True)


@pytest.mark.slow
def test_benchmark_table_runs_on_tiny_data(cifar10_root, tmp_path, monkeypatch):
    """tools/benchmark/bench_table.py on 40 images, 2 epochs: one row per method, the same
    noisy labels for every method, the selection and detection columns read from what the
    runs wrote, the cost relative to CE."""
    import json
    from tools.benchmark import bench_table
    wd = tmp_path / 'table'
    results = bench_table.main([
        cifar10_root, '--subset', '40', '--epochs', '2', '--noises', 'asym40',
        '--methods', 'DivideMix', 'DynaCor', '--workers', '0', '--threads', '1',
        '--work-dir', str(wd), '--out', str(tmp_path / 't.md')])['asym40']
    assert list(results) == ['CE', 'DivideMix', 'DynaCor']  # CE added for the cost column
    labels = {name: np.load(wd / 'asym40' / d / 'noisy_labels.npz')['noisy_labels'][:40]
              for name, d in (('CE', 'ce'), ('DivideMix', 'dividemix'), ('DynaCor', 'dynacor'))}
    assert (labels['CE'] == labels['DivideMix']).all() and (labels['CE'] == labels['DynaCor']).all()
    saved = json.load(open(wd / 'asym40' / 'ce' / 'noisy_labels.json'))
    assert saved['settings']['type'] == 'asymmetric' and saved['settings']['rate'] == 0.4
    sel = json.load(open(wd / 'asym40' / 'dividemix' / 'selection_quality.json'))
    assert results['DivideMix']['selection']['precision'] == sel['epochs'][-1]['net1']['precision']
    summary = json.load(open(wd / 'asym40' / 'dynacor' / 'noisy_label_detection' / 'summary.json'))
    assert results['DynaCor']['detection_f1'] == summary['dynacor']['metrics'].get('f1')
    assert results['CE']['selection'] is None and results['CE']['detection_f1'] is None
    table = (tmp_path / 't.md').read_text()
    rows = [r for r in table.splitlines() if r.startswith('| asym40 |')]
    assert [r.split('|')[2].strip() for r in rows] == ['CE', 'DivideMix', 'DynaCor']
    assert rows[0].endswith('| 1.00 |')
    assert f"| {results['DivideMix']['top1_last5']:.2f} |" in rows[1]
    assert '| method | asym40 |' in table  # the per-method pivot follows
    assert f"| DynaCor | {results['DynaCor']['top1_last5']:.2f} |" in table
    mixed = bench_table.pivot({'sym50': {'CE': dict(top1_last5=30.0)},
                               'sym80': {'CE': dict(top1_last5=10.0), 'GCE': dict(top1_last5=9.5)}})
    assert mixed.splitlines()[2:] == ['| CE | 30.00 | 10.00 |', '| GCE | - | 9.50 |']

    # finished cells are saved: a second call trains nothing and prints the same table,
    # a call with another setting into the same work dir is refused
    def no_training(*a, **k):
        raise AssertionError('a saved cell was trained again')

    from tools.benchmark import harness
    monkeypatch.setattr(harness, 'train', no_training)
    again = bench_table.main([
        cifar10_root, '--subset', '40', '--epochs', '2', '--noises', 'asym40',
        '--methods', 'DivideMix', 'DynaCor', '--workers', '0', '--threads', '1',
        '--work-dir', str(wd), '--out', str(tmp_path / 't2.md')])['asym40']
    assert again == results
    assert (tmp_path / 't2.md').read_text() == table
    report = bench_table.main([
        cifar10_root, '--subset', '40', '--epochs', '2', '--noises', 'asym40', 'sym80',
        '--methods', 'DivideMix', 'SCE', '--workers', '0', '--threads', '1',
        '--work-dir', str(wd), '--report'])
    assert report == {'asym40': {k: results[k] for k in ('CE', 'DivideMix')}}

    # a cell held by another (live) process is skipped; if that process saves it before this
    # one ends, the table and results.json hold it, in the order of --methods
    open(wd / 'asym40' / 'sce.lock', 'w').write(str(os.getpid()))
    real_run_cell = bench_table.run_cell

    def other_process_finishes(name, noise, args):
        r = real_run_cell(name, noise, args)
        if name == 'SCE':
            assert r is None  # skipped: locked
            (wd / 'asym40' / 'sce.result.json').write_bytes(
                (wd / 'asym40' / 'dynacor.result.json').read_bytes())
        return r

    monkeypatch.setattr(bench_table, 'run_cell', other_process_finishes)
    shared = bench_table.main([
        cifar10_root, '--subset', '40', '--epochs', '2', '--noises', 'asym40',
        '--methods', 'SCE', 'DivideMix', '--workers', '0', '--threads', '1',
        '--work-dir', str(wd)])
    assert list(shared['asym40']) == ['CE', 'SCE', 'DivideMix']
    assert shared['asym40']['SCE'] == results['DynaCor']
    assert json.load(open(wd / 'results.json'))['results'] == shared
    with pytest.raises(SystemExit, match='subset'):
        bench_table.main([cifar10_root, '--subset', '30', '--epochs', '2', '--noises',
                          'asym40', '--methods', 'CE', '--work-dir', str(wd)])


def test_benchmark_table_cell_locks(tmp_path, monkeypatch):
    """Two bench_table processes share cells through lock files: a cell held by a live
    process is skipped, one left by a dead process is taken over; an empty lock is held while
    young (its creator is writing it) and taken over when old; a holder owned by another user
    (PermissionError from kill) counts as alive."""
    import subprocess
    from tools.benchmark.harness import claim as _claim
    lock = str(tmp_path / 'sym50' / 'ce.lock')
    assert _claim(lock) and open(lock).read() == str(os.getpid())
    assert not _claim(lock)  # held by this (live) process
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    with open(lock, 'w') as f:
        f.write(str(dead.pid))
    assert _claim(lock) and open(lock).read() == str(os.getpid())
    open(lock, 'w').close()
    assert not _claim(lock)  # empty and fresh
    old = os.path.getmtime(lock) - 120
    os.utime(lock, (old, old))
    assert _claim(lock, empty_grace=60) and open(lock).read() == str(os.getpid())

    def foreign(pid, sig):
        raise PermissionError(pid)

    monkeypatch.setattr(os, 'kill', foreign)
    assert not _claim(lock) and open(lock).read() == str(os.getpid())


def test_config_syntax_error_names_the_file_and_line(tmp_path):
    from mmnoisy.utils.tools import ConfigFileError, load_config
    bad = tmp_path / 'bad.py'
    bad.write_text(f"_base_ = ['{ROOT}/configs/demo/ce_smallcnn_digits_sym40.py']\n"
                   "model = dict(\n    head=dict(num_classes=10,,),\n)\n")
    child = tmp_path / 'child.py'
    child.write_text("_base_ = ['./bad.py']\ntrain_cfg = dict(max_epochs=1)\n")
    with pytest.raises(ConfigFileError, match=rf'^config {bad}, line 3: invalid syntax'):
        load_config(str(bad))
    with pytest.raises(ConfigFileError, match=rf'config {bad}, line 3: .*\(inherited by {child}\)'):
        load_config(str(child))
    proc = run_tool('tools/train.py', str(child), '--work-dir', str(tmp_path / 'w'), check=False)
    assert proc.returncode != 0
    assert f'config {bad}, line 3: invalid syntax' in proc.stderr.splitlines()[-1]
    assert '<unknown>' not in proc.stderr


def test_run_summary_values():
    """results.json from a history: 1-based epochs, the first epoch of the best, the mean of
    the last k, seconds per timed epoch."""
    from mmnoisy.engine.hooks.run_summary_hook import summarise
    out = summarise({0: 50.0, 1: 70.0, 2: 60.0, 3: 70.0, 4: 40.0}, 3, 12.0, 3.0, 4)
    assert out['accuracy'] == {'1': 50.0, '2': 70.0, '3': 60.0, '4': 70.0, '5': 40.0}
    assert (out['last'], out['last_epoch'], out['best'], out['best_epoch']) == (40.0, 5, 70.0, 2)
    assert out['mean_last_k'] == pytest.approx((60 + 70 + 40) / 3)
    assert out['train_seconds_per_epoch'] == 3.0 and out['val_seconds'] == 3.0
    empty = summarise({}, 10, 0.0, 0.0, 0)
    assert 'last' not in empty and empty['train_seconds_per_epoch'] is None


def test_small_loss_selection_by_hand():
    from tools.benchmark.harness import small_loss_selection
    losses, noisy = [0.1, 2.0, 0.5, 0.3, 1.0], [0, 1, 1, 0, 0]
    # forget 0.4 of 5: the 3 smallest (0, 3, 2) are kept; 2 of them clean, of 3 clean samples
    q = small_loss_selection(losses, noisy, 0.4)
    assert q['trusted_fraction'] == 0.6 and q['clean_share'] == 0.6
    assert q['precision'] == pytest.approx(2 / 3) and q['recall'] == pytest.approx(2 / 3)
    # floor((1 - 0.5) 5) = 2 kept; ties go to the lower index
    q = small_loss_selection([1.0, 0.2, 0.2, 0.2, 3.0], [1, 0, 1, 0, 0], 0.5)
    assert q['trusted_fraction'] == 0.4 and q['precision'] == 0.5
    with pytest.raises(ValueError, match='forget_rate'):
        small_loss_selection(losses, noisy, 1.0)


def test_noise_fit_counts():
    """The share of wrong labels a model fits, by hand: 4 wrong labels (2 predicted as
    given, 1 as the truth), 4 right ones (3 predicted right)."""
    from tools.benchmark.harness import noise_fit
    clean = [0, 1, 2, 3, 0, 1, 2, 3]
    noisy = [1, 2, 3, 0, 0, 1, 2, 3]
    pred = [1, 2, 2, 1, 0, 1, 2, 0]
    out = noise_fit(pred, noisy, clean)
    assert out == dict(wrong_fitted=0.5, wrong_corrected=0.25, clean_correct=0.75,
                       wrong_share=0.5)
    assert noise_fit([0, 1], [0, 1], [0, 1])['wrong_fitted'] is None


def test_closing_line_averages_the_configs_last_k():
    """A run whose metric averages the last 5 epochs closes with the mean of the last 5
    (it printed the mean of the last 10 beside its accuracy/top1_last5)."""
    from types import SimpleNamespace

    from mmengine.config import Config
    from mmengine.logging import MessageHub

    from mmnoisy.evaluation.metrics.last_k_accuracy import HISTORY_KEY
    from tools.train import final_summary
    hub = MessageHub.get_instance('test_closing_line')
    hub.update_info(HISTORY_KEY, {e: float(e) for e in range(12)})
    for evaluator, k, mean in ((dict(type='LastKAccuracy', last_k=5), 5, 9.0),
                               ([dict(type='mmnoisy.LastKAccuracy', last_k=3)], 3, 10.0),
                               (dict(type='Accuracy'), 10, 6.5)):
        runner = SimpleNamespace(message_hub=hub, work_dir='w',
                                 cfg=Config(dict(val_evaluator=evaluator)))
        assert f'mean of the last {k} epochs: {mean:.2f}%' in final_summary(runner)


def test_plot_accuracy_reads_runs_and_bench_cells(tmp_path):
    """Curves in epoch order (10 after 9), labels from --labels or the folder, bench cells of
    one noise and seed in the plan's order; a PNG is written."""
    import json

    from tools.analysis import plot_accuracy
    acc = {str(e): float(e) for e in range(1, 12)}
    assert plot_accuracy.curve(acc) == (list(range(1, 12)), [float(e) for e in range(1, 12)])
    for name in ('a', 'b'):
        (tmp_path / name).mkdir()
        (tmp_path / name / 'results.json').write_text(json.dumps(dict(accuracy=acc)))
    runs = plot_accuracy.runs_from_dirs([str(tmp_path / 'a'), str(tmp_path / 'b')])
    assert list(runs) == ['a', 'b']
    with pytest.raises(SystemExit, match='1 labels for 2 runs'):
        plot_accuracy.runs_from_dirs([str(tmp_path / 'a'), str(tmp_path / 'b')], ['x'])
    bench = tmp_path / 'bench' / 'sym50'
    bench.mkdir(parents=True)
    for slug, value in (('dividemix', 70.0), ('ce', 50.0), ('ceclean', 80.0)):
        (bench / f'{slug}_seed2.result.json').write_text(json.dumps(
            dict(setting={}, result=dict(accuracy={'1': value}))))
    cells = plot_accuracy.runs_from_bench(str(tmp_path / 'bench'), 'sym50', seed=2)
    assert list(cells) == ['CE (clean)', 'CE', 'DivideMix']
    assert cells['CE'] == {'1': 50.0}
    with pytest.raises(SystemExit, match='no saved cell for sym80, seed 2'):
        plot_accuracy.runs_from_bench(str(tmp_path / 'bench'), 'sym80', seed=2)
    out = plot_accuracy.plot(cells, str(tmp_path / 'f.png'), title='t')
    assert open(out, 'rb').read(8) == b'\x89PNG\r\n\x1a\n'


def _work_dir(path, weight, record, quality):
    path.mkdir()
    torch.save({'state_dict': {'w': torch.tensor(weight)}, 'optimizer': {'lr': 0.1}},
               path / 'epoch_2.pth')
    (path / 'last_checkpoint').write_text(str(path / 'epoch_2.pth'))
    np.savez(path / 'sample_record.npz', **record)
    (path / 'selection_quality.json').write_text(json.dumps(quality))
    return str(path)


def test_compare_runs_names_what_differs(tmp_path):
    """tools/analysis/compare_runs.py: equal values (NaN included) are 'same'; a changed
    weight, record column or selection entry is reported by name; a file only one run has
    is 'missing'."""
    from tools.analysis.compare_runs import compare
    rec = {'net/loss': np.array([0.5, np.nan]), 'noisy_labels': np.array([1, 2])}
    a = _work_dir(tmp_path / 'a', [1.0, 2.0], rec, [{'epoch': 1, 'f1': 0.5}])
    b = _work_dir(tmp_path / 'b', [1.0, 2.0], dict(rec), [{'epoch': 1, 'f1': 0.5}])
    assert set(compare(a, b).values()) == {'same'}
    c = _work_dir(tmp_path / 'c', [1.0, 2.5],
                  dict(rec, noisy_labels=np.array([1, 3])), [{'epoch': 1, 'f1': 0.6}])
    out = compare(a, c)
    assert out['epoch_2.pth state_dict'] == 'differs: w'
    assert out['epoch_2.pth optimizer'] == 'same'
    assert out['sample_record.npz'] == 'differs: noisy_labels'
    assert out['selection_quality.json'] == 'differs'
    os.remove(os.path.join(c, 'selection_quality.json'))
    assert compare(a, c)['selection_quality.json'] == 'missing in B'


def test_benchmark_noises_come_from_one_table_and_keep_their_published_settings():
    """Every benchmark names its noises from harness.NOISES; what each one draws is the
    setting behind the numbers in docs/benchmarks.md (written out here, as they were)."""
    import ast
    from tools.benchmark import (bench_dynacor, bench_hmw, bench_memorisation, bench_table,
                                 bench_vrlv, harness)
    assert bench_table.NOISES == {
        'sym50': dict(type='symmetric', rate=0.5, seed=1),
        'sym80': dict(type='symmetric', rate=0.8, seed=1),
        'asym40': dict(type='asymmetric', rate=0.4, seed=1),
        'ins40': dict(type='instance', rate=0.4, seed=1)}
    assert bench_memorisation.NOISES == {
        'clean': dict(type='none'),
        'sym50': dict(type='symmetric', rate=0.5, include_true_class=True),
        'sym80': dict(type='symmetric', rate=0.8, include_true_class=True),
        'asym40': dict(type='asymmetric', rate=0.4, mapping='fashion_mnist'),
        'sym60': dict(type='symmetric', rate=0.6),
        'pair30': dict(type='pairflip', rate=0.3),
        'ins40': dict(type='instance', rate=0.4)}
    assert list(bench_memorisation.NOISES)[:4] == ['clean', 'sym50', 'sym80', 'asym40']
    # bench_vrlv / bench_dynacor: --cfg-options; bench_hmw: config text
    assert harness.noise_options('p', harness.noise('sym80')) == [
        'p.type=symmetric', 'p.rate=0.8', 'p.include_true_class=True']
    assert harness.noise_options('p', harness.noise('pair30')) == ['p.type=pairflip', 'p.rate=0.3']
    assert set(bench_vrlv.NOISES) | set(bench_dynacor.NOISES) | set(bench_hmw.NOISE_NAMES) <= \
        set(harness.NOISES)
    text = harness.noise_text(harness.noise('sym50', seed=1))
    call = ast.parse(text, mode='eval').body
    assert {k.arg: ast.literal_eval(k.value) for k in call.keywords} == dict(
        _delete_=True, type='symmetric', rate=0.5, include_true_class=True, seed=1)
