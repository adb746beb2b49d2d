"""End to end through the command-line tools, as a user runs them (subprocesses)."""
import json
import os
import os.path as osp
import re

import numpy as np
import pytest
import torch
import yaml

from tests.conftest import ROOT, dist_train, free_port, run_tool

DEMO = 'configs/demo/ce_smallcnn_digits_sym40.py'


def _state(path):
    return torch.load(path, map_location='cpu', weights_only=False)['state_dict']


def _last_accuracy(log_text):
    values = re.findall(r'accuracy/top1: ([\d.]+)', log_text)
    assert values, log_text[-2000:]
    return float(values[-1])


@pytest.fixture(scope='module')
def demo_run(tmp_path_factory):
    """The README demo, as written, into a temporary work dir."""
    work_dir = str(tmp_path_factory.mktemp('demo'))
    proc = run_tool('tools/train.py', DEMO, '--work-dir', work_dir)
    return work_dir, proc.stdout + proc.stderr


@pytest.mark.slow
def test_demo_trains_above_chance_and_fills_the_work_dir(demo_run):
    work_dir, log = demo_run
    assert _last_accuracy(log) > 60.0  # chance is 10%
    assert 'accuracy/top1_last10' in log
    assert re.search(r'final test accuracy: [\d.]+% after epoch 30; mean of the last 10', log)
    # results.json (RunSummaryHook) holds what the log printed, per epoch
    results = json.load(open(osp.join(work_dir, 'results.json')))
    logged = [float(v) for v in re.findall(r'accuracy/top1: ([\d.]+)', log)]
    assert [round(results['accuracy'][str(e)], 4) for e in range(1, 31)] == logged
    assert results['last'] == pytest.approx(logged[-1], abs=1e-4)
    assert results['mean_last_k'] == pytest.approx(np.mean(logged[-10:]), abs=1e-3)
    assert results['last_k'] == 10 and results['last_epoch'] == 30
    assert results['best'] == pytest.approx(max(logged), abs=1e-4)
    assert results['best_epoch'] == logged.index(max(logged)) + 1
    assert results['epochs_timed'] == 30 and results['train_seconds'] > 0
    assert results['train_seconds_per_epoch'] == pytest.approx(results['train_seconds'] / 30)
    files = os.listdir(work_dir)
    assert {'epoch_30.pth', 'noisy_labels.npz', 'noisy_labels.json', 'last_checkpoint'} <= set(files)
    logs = [f for d in files if osp.isdir(osp.join(work_dir, d))
            for f in os.listdir(osp.join(work_dir, d)) if f.endswith('.log')]
    assert logs
    saved = np.load(osp.join(work_dir, 'noisy_labels.npz'))
    assert len(saved['noisy_labels']) == 1347
    assert float(saved['noise_rate']) == pytest.approx(0.4, abs=0.002)
    summary = json.load(open(osp.join(work_dir, 'noisy_labels.json')))
    assert summary['settings'] == {'type': 'symmetric', 'rate': 0.4, 'seed': 1}


@pytest.mark.slow
def test_test_tool_with_local_path_and_url(demo_run, tmp_path, file_server):
    work_dir, log = demo_run
    ckpt = osp.join(work_dir, 'epoch_30.pth')
    local = run_tool('tools/test.py', DEMO, ckpt, '--work-dir', str(tmp_path / 'local'),
                     '--out', str(tmp_path / 'metrics.json'))
    acc = _last_accuracy(local.stdout + local.stderr)
    assert acc == pytest.approx(_last_accuracy(log))
    assert json.load(open(tmp_path / 'metrics.json'))['accuracy/top1'] == pytest.approx(acc)

    server = file_server({'demo.pth': open(ckpt, 'rb').read()})
    remote = run_tool('tools/test.py', DEMO, f'{server.url}/demo.pth', '--work-dir',
                      str(tmp_path / 'url'), env={'MMNOISY_CACHE': str(tmp_path / 'cache')})
    assert _last_accuracy(remote.stdout + remote.stderr) == pytest.approx(acc)
    # cached under its URL's key, the file name kept
    [folder] = os.listdir(tmp_path / 'cache')
    assert folder.startswith('url-') and os.listdir(tmp_path / 'cache' / folder) == ['demo.pth']


def _zoo(root, name, weights):
    """A one-model zoo under ``root`` (model-index.yml + metafile) for the demo config."""
    os.makedirs(osp.join(root, 'configs', 'demo'), exist_ok=True)
    meta = dict(Collections=[dict(Name='CE', README='README.md')], Models=[dict(
        Name=name, **{'In Collection': 'CE'}, Config=osp.join(ROOT, DEMO), Weights=weights,
        Metadata={'Training Data': 'Digits', 'Label Noise': 'symmetric 40%'})])
    with open(osp.join(root, 'configs', 'demo', 'metafile.yml'), 'w') as f:
        yaml.safe_dump(meta, f)
    with open(osp.join(root, 'model-index.yml'), 'w') as f:
        yaml.safe_dump({'Import': ['configs/demo/metafile.yml']}, f)


@pytest.mark.slow
def test_zoo_publish_download_and_test_end_to_end(demo_run, tmp_path, file_server):
    """publish_model.py -> served on 127.0.0.1 -> download.py NAME -> test.py CONFIG URL;
    the same accuracy as the run; a file whose hash does not match its name is refused and
    leaves nothing in the cache."""
    work_dir, log = demo_run
    proc = run_tool('tools/misc/publish_model.py', osp.join(work_dir, 'epoch_30.pth'),
                    str(tmp_path / 'ce_smallcnn_digits-sym40.pth'))
    published = proc.stdout.strip().splitlines()[-1]
    name = osp.basename(published)
    assert re.fullmatch(r'ce_smallcnn_digits-sym40_\d{8}-[0-9a-f]{8}\.pth', name)
    data = open(published, 'rb').read()
    assert set(torch.load(published, weights_only=True)) == {'meta', 'state_dict'}
    bad_name = re.sub(r'-[0-9a-f]{8}\.pth$', '-00000000.pth', name)
    server = file_server({name: data, bad_name: data})
    _zoo(tmp_path / 'zoo', 'ce_digits', f'{server.url}/{name}')
    env = {'MMNOISY_CACHE': str(tmp_path / 'cache')}

    listed = run_tool('tools/misc/download.py', '--list', '--root', str(tmp_path / 'zoo'),
                      '--with-weights', env=env).stdout
    assert re.search(r'ce_digits\s+CE\s+Digits\s+symmetric 40%\s+checkpoint', listed)
    got = run_tool('tools/misc/download.py', 'ce_digits', '--root', str(tmp_path / 'zoo'),
                   env=env).stdout
    cached = str(tmp_path / 'cache' / name)
    assert f'checkpoint: {cached}' in got and open(cached, 'rb').read() == data
    test = run_tool('tools/test.py', DEMO, f'{server.url}/{name}', '--work-dir',
                    str(tmp_path / 'test'), env=env)
    assert _last_accuracy(test.stdout + test.stderr) == pytest.approx(_last_accuracy(log))

    refused = run_tool('tools/test.py', DEMO, f'{server.url}/{bad_name}', '--work-dir',
                       str(tmp_path / 'bad'), env=env, check=False)
    assert refused.returncode != 0
    assert 'does not start with 00000000' in refused.stderr
    assert os.listdir(tmp_path / 'cache') == [name]

    unknown = run_tool('tools/misc/download.py', 'ce_digit', '--root', str(tmp_path / 'zoo'),
                       env=env, check=False)
    assert unknown.returncode != 0 and "did you mean ce_digits?" in unknown.stderr


@pytest.mark.slow
def test_checkpoint_that_does_not_match_the_config(demo_run, tmp_path):
    work_dir, _ = demo_run
    proc = run_tool('tools/test.py', DEMO, osp.join(work_dir, 'epoch_30.pth'), '--work-dir',
                    str(tmp_path), '--cfg-options', 'model.backbone.widths=[16,32]',
                    'model.head.in_channels=32', check=False)
    assert proc.returncode != 0
    assert 'does not match the model built from the config' in proc.stderr
    assert 'shape mismatch' in proc.stderr


@pytest.mark.slow
def test_resume_ends_with_the_same_weights(tmp_path):
    """A run killed after epoch 2 and resumed ends exactly where an uninterrupted one does."""
    options = ['--cfg-options', 'default_hooks.checkpoint.interval=1',
               'default_hooks.checkpoint.max_keep_ckpts=5', 'train_cfg.max_epochs=4']
    run_tool('tools/train.py', DEMO, '--work-dir', str(tmp_path / 'a'), *options)
    killed = tmp_path / 'killed.py'
    killed.write_text(f"_base_ = ['{ROOT}/{DEMO}']\n"
                      "custom_imports = dict(imports=['tests.kill_hook'])\n"
                      "custom_hooks = [dict(type='KillAfterEpoch', epoch=2)]\n")
    proc = run_tool('tools/train.py', str(killed), '--work-dir', str(tmp_path / 'b'), *options,
                    check=False)
    assert proc.returncode == 17 and not (tmp_path / 'b' / 'epoch_3.pth').exists()
    run_tool('tools/train.py', DEMO, '--work-dir', str(tmp_path / 'b'), '--resume', *options)
    a = _state(tmp_path / 'a' / 'epoch_4.pth')
    b = _state(tmp_path / 'b' / 'epoch_4.pth')
    for key in a:
        assert torch.equal(a[key], b[key]), key
    # the accuracy history resumed too, so the last-k mean covers every epoch: epoch_N.pth
    # is written before epoch N is validated, so the resumed run validated epoch 2 again
    ha = torch.load(tmp_path / 'a' / 'epoch_4.pth', weights_only=False)['message_hub']
    hb = torch.load(tmp_path / 'b' / 'epoch_4.pth', weights_only=False)['message_hub']
    history = hb['runtime_info']['mmnoisy/accuracy_history']
    assert history == ha['runtime_info']['mmnoisy/accuracy_history']
    assert sorted(history) == [0, 1, 2]  # epoch 4 (key 3) is validated after the save
    # results.json of the resumed run: every epoch's accuracy (the history came back with the
    # checkpoint), the same as the uninterrupted run's; only the resumed epochs timed
    ra = json.load(open(tmp_path / 'a' / 'results.json'))
    rb = json.load(open(tmp_path / 'b' / 'results.json'))
    assert list(rb['accuracy']) == ['1', '2', '3', '4'] and rb['accuracy'] == ra['accuracy']
    assert (rb['last'], rb['mean_last_k']) == (ra['last'], ra['mean_last_k'])
    assert (ra['epochs_timed'], rb['epochs_timed']) == (4, 2) and rb['val_seconds'] > 0


@pytest.mark.slow
def test_resume_from_a_damaged_latest_checkpoint_names_the_previous_one(demo_run, tmp_path):
    """epoch_30.pth cut short (a run killed while saving before saves were atomic, a full
    disk): --resume says so in one line and names epoch_20.pth; nothing is written over."""
    import shutil
    work_dir = tmp_path / 'w'
    shutil.copytree(demo_run[0], work_dir)
    latest = work_dir / 'epoch_30.pth'
    (work_dir / 'last_checkpoint').write_text(str(latest))
    data = latest.read_bytes()
    latest.write_bytes(data[:len(data) // 3])
    before = sorted(os.listdir(work_dir))
    proc = run_tool('tools/train.py', DEMO, '--work-dir', str(work_dir), '--resume', check=False)
    assert proc.returncode != 0
    line = [ln for ln in proc.stderr.splitlines() if 'cannot resume from' in ln][-1]
    assert f'cannot resume from {latest}: {latest} is not a complete checkpoint: it was cut ' \
        'short' in line
    assert line.endswith(f'resume from the previous one: --resume {work_dir}/epoch_20.pth')
    assert 'weights_only' not in proc.stderr
    assert set(before) <= set(os.listdir(work_dir))  # nothing removed
    assert (work_dir / 'epoch_20.pth').read_bytes() == open(
        osp.join(demo_run[0], 'epoch_20.pth'), 'rb').read()


@pytest.mark.slow
def test_distributed_training_with_two_cpu_processes(tmp_path):
    log = dist_train(DEMO, tmp_path, 'train_cfg.max_epochs=3')
    assert _last_accuracy(log) > 30.0
    assert (tmp_path / 'epoch_3.pth').is_file() and (tmp_path / 'noisy_labels.npz').is_file()
    # each rank saw half of the data per epoch: 1347 samples, batch 64 -> 11 iters per rank
    assert 'Epoch(train) [1][10/11]' in log


@pytest.mark.slow
def test_reusing_saved_noise_and_refusing_a_changed_one(demo_run, tmp_path):
    work_dir, _ = demo_run
    saved = osp.join(work_dir, 'noisy_labels.npz')
    reuse = ['--cfg-options', 'train_cfg.max_epochs=1',
             'train_dataloader.dataset.noise.type=file',
             f'train_dataloader.dataset.noise.path={saved}',
             'train_dataloader.dataset.noise.rate=None', 'train_dataloader.dataset.noise.seed=None']
    proc = run_tool('tools/train.py', DEMO, '--work-dir', str(tmp_path / 'r'), *reuse,
                    check=False)
    # rate/seed set to None are still options the file type does not take
    assert proc.returncode != 0 and 'does not take' in proc.stderr
    cfg_path = tmp_path / 'reuse.py'
    cfg_path.write_text(
        f"_base_ = ['{ROOT}/{DEMO}']\n"
        "train_cfg = dict(max_epochs=1)\n"
        f"train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='file', "
        f"path='{saved}')))\n")
    run_tool('tools/train.py', str(cfg_path), '--work-dir', str(tmp_path / 'r'))
    assert np.array_equal(np.load(tmp_path / 'r' / 'noisy_labels.npz')['noisy_labels'],
                          np.load(saved)['noisy_labels'])
    # same work dir, different noise: refused, the saved labels are untouched
    before = (tmp_path / 'r' / 'noisy_labels.npz').read_bytes()
    proc = run_tool('tools/train.py', DEMO, '--work-dir', str(tmp_path / 'r'),
                    '--cfg-options', 'train_cfg.max_epochs=1',
                    'train_dataloader.dataset.noise.seed=7', check=False)
    assert proc.returncode != 0 and 'already holds different noisy labels' in proc.stderr
    assert (tmp_path / 'r' / 'noisy_labels.npz').read_bytes() == before


@pytest.mark.slow
def test_a_users_config_inherits_ours_by_package_name(tmp_path):
    """``_base_ = 'mmnoisy::...'`` (OpenMMLab's way to start from an installed package's config)
    resolves to this package's config, under an editable install too, and trains."""
    from mmengine.config import Config

    from mmnoisy.utils.tools import load_config  # what tools/train.py reads configs with
    user = tmp_path / 'my_ce.py'
    user.write_text("_base_ = ['mmnoisy::demo/ce_smallcnn_digits_sym40.py']\n"
                    "train_cfg = dict(max_epochs=1)\n")
    ours, theirs = Config.fromfile(osp.join(ROOT, DEMO)), load_config(str(user))
    assert theirs.train_cfg.max_epochs == 1 and ours.train_cfg.max_epochs == 30

    def unscoped(cfg):  # mmengine marks what comes from a package's config with its _scope_
        if isinstance(cfg, dict):
            return {k: unscoped(v) for k, v in cfg.items() if k != '_scope_'}
        return [unscoped(v) for v in cfg] if isinstance(cfg, (list, tuple)) else cfg

    assert theirs.model['_scope_'] == 'mmnoisy'
    assert unscoped(theirs.model) == unscoped(ours.model)
    assert unscoped(theirs.train_dataloader) == unscoped(ours.train_dataloader)
    proc = run_tool('tools/train.py', str(user), '--work-dir', str(tmp_path / 'w'))
    assert 'Epoch(train) [1]' in proc.stdout + proc.stderr
    assert 'Epoch(train) [2]' not in proc.stdout + proc.stderr
    missing = tmp_path / 'missing.py'
    missing.write_text("_base_ = ['mmnoisy::demo/no_such_config.py']\n")
    with pytest.raises(FileNotFoundError, match='no_such_config'):
        Config.fromfile(str(missing))


@pytest.mark.parametrize('options,message', [
    (['model.head.num_classes=7'], 'num_classes mismatch: the model head has num_classes=7'),
    (['train_dataloader.dataset.noise.rate=1.2'], r'must be in \[0, 1\), got 1.2'),
    (['train_dataloader.dataset.noise.type=gaussian'], "unknown noise type 'gaussian'"),
])
@pytest.mark.slow
def test_bad_configs_fail_with_a_clear_message(tmp_path, options, message):
    proc = run_tool('tools/train.py', DEMO, '--work-dir', str(tmp_path), '--cfg-options',
                    *options, check=False)
    assert proc.returncode != 0
    assert re.search(message, proc.stderr), proc.stderr[-2000:]
    assert not (tmp_path / 'noisy_labels.npz').exists()


@pytest.mark.slow
def test_num_classes_hint_names_the_key_the_config_uses(tmp_path):
    from mmnoisy.engine.hooks.noisy_label_hook import num_classes_keys
    assert num_classes_keys(dict(type='X', head=dict(num_classes=3))) == ['model.head.num_classes']
    assert num_classes_keys(dict(network=dict(head=dict(num_classes=3), neck=None))) == \
        ['model.network.head.num_classes']
    proc = run_tool('tools/train.py', 'configs/demo/dividemix_smallcnn_digits_sym40.py',
                    '--work-dir', str(tmp_path), '--cfg-options',
                    'model.network.head.num_classes=7', check=False)
    assert proc.returncode != 0
    assert 'set model.network.head.num_classes=10 or use the matching dataset' in proc.stderr


def test_amp_without_gpu_is_a_clear_error(tmp_path):
    if torch.cuda.is_available():
        pytest.skip('a GPU is present')
    proc = run_tool('tools/train.py', DEMO, '--amp', '--work-dir', str(tmp_path), check=False)
    assert proc.returncode != 0 and '--amp needs a CUDA GPU' in proc.stderr


@pytest.mark.slow
def test_missing_dataset_files_say_where(tmp_path):
    proc = run_tool('tools/train.py', 'configs/baselines/ce_smallcnn_cifar10_sym50.py',
                    '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                    f'train_dataloader.dataset.dataset.data_root={tmp_path}/nothing',
                    check=False)
    assert proc.returncode != 0
    assert 'files not found: looked for' in proc.stderr and 'download=True' in proc.stderr


@pytest.mark.slow
def test_distributed_testing_with_two_cpu_processes(demo_run, tmp_path):
    work_dir, log = demo_run
    port = free_port()
    proc = run_tool('bash', 'tools/dist_test.sh', DEMO, osp.join(work_dir, 'epoch_30.pth'), '2',
                    '--work-dir', str(tmp_path), env={'PORT': port})
    # the 450 test images are split over the ranks and merged: same accuracy as one process
    assert _last_accuracy(proc.stdout + proc.stderr) == pytest.approx(_last_accuracy(log))


@pytest.mark.parametrize('script', ['dist_train.sh', 'dist_test.sh', 'slurm_train.sh',
                                    'slurm_test.sh'])
def test_launch_scripts_parse(script):
    run_tool('bash', '-n', f'tools/{script}')


@pytest.mark.slow
def test_demo_script_prints_both_accuracies_and_the_detection_f1(tmp_path):
    """tools/demo.py (the README's first command), shortened to 3 epochs per run."""
    wd = tmp_path / 'demo'
    out = run_tool('tools/demo.py', '--method', 'Co-teaching', '--epochs', '3',
                   '--work-dir', str(wd)).stdout
    summary = json.load(open(wd / 'summary.json'))
    assert summary['last_k'] == 3 and set(summary['accuracy']) == {'CE', 'Co-teaching'}
    for name, acc in summary['accuracy'].items():
        assert 15 < acc <= 100  # chance is 10%
        assert re.search(rf'^  {name}\s+{acc:.2f}%$', out, re.M), out
    det = summary['detection']
    assert det['num_samples'] == 1347 and 0 < det['f1'] <= 1
    assert f'F1 {100 * det["f1"]:.1f}%' in out
    # the same noisy labels for every run
    saved = [np.load(wd / d / 'noisy_labels.npz')['noisy_labels']
             for d in ('ce', 'coteaching', 'detect')]
    assert (saved[0] == saved[1]).all() and (saved[0] == saved[2][:1347]).all()
