"""tools/benchmark/bench_memorisation.py: each method's published config turned into its
Fashion-MNIST cell (only data, network, length and warm-up change), and the table on tiny
data (cells saved, reused, reported)."""
import json
import os.path as osp

import pytest
from mmengine.config import Config

from tests.conftest import ROOT
from tests.test_fashion_mnist import write_fashion
from tools.benchmark import bench_memorisation as bench


def _cell(name, noise, tmp_path, *extra):
    args = bench.parse_args(['--data-root', str(tmp_path), '--work-dir', str(tmp_path / 'w'),
                             *extra])
    path, source = bench.cell_config(name, noise, 2, args, str(tmp_path / f'{name}.py'))
    return Config.fromfile(path), Config.fromfile(osp.join(ROOT, source)), source


def test_published_config_keeps_its_hyper_parameters(tmp_path):
    cfg, published, source = _cell('DivideMix', 'sym80', tmp_path, '--crop-flip')
    assert source.endswith('dividemix_preactresnet18_1xb64-300e_cifar10-sym80.py')
    for key in ('lambda_u', 'p_threshold', 'temperature', 'alpha', 'test_mode', 'type'):
        assert cfg.model[key] == published.model[key]
    assert cfg.optim_wrapper == published.optim_wrapper
    assert cfg.train_dataloader.batch_size == published.train_dataloader.batch_size
    assert cfg.train_dataloader.batch_sampler == published.train_dataloader.batch_sampler
    assert cfg.custom_hooks == published.custom_hooks
    # scaled: length, warm-up, milestones at the same fraction (150 of 300 -> 20 of 40)
    assert cfg.train_cfg.max_epochs == 40 and cfg.model.warmup_epochs == 4
    assert cfg.param_scheduler.milestones == [20]
    # the setting: Fashion-MNIST subset, 28-pixel crops, the memorising CNN, same noise
    noisy = cfg.train_dataloader.dataset
    assert noisy.noise == dict(type='symmetric', rate=0.8, include_true_class=True, seed=2)
    assert noisy.dataset.type == 'FashionMNIST' and noisy.dataset.indices == 4000
    views = noisy.dataset.pipeline[0]['transforms'][0]
    assert views[0] == dict(type='RandomCrop', crop_size=28, padding=4)
    net = cfg.model.network
    assert net.backbone == dict(type='SmallCNN', in_channels=1, widths=(32, 64, 128),
                                pool_last=True)
    assert net.neck.type == 'LinearNeck' and net.head.in_channels == 256
    assert cfg.data_preprocessor.mean == [72.94] and 'to_rgb' not in cfg.data_preprocessor
    assert cfg.val_dataloader.dataset.type == 'FashionMNIST'
    assert cfg.val_dataloader.dataset.split == 'test'
    assert cfg.val_evaluator.last_k == 10 and cfg.randomness.seed == 2


def test_method_specific_changes(tmp_path):
    # HMW: its own warm-up and the two milestones (125, 200 of 250 -> 20, 32 of 40)
    cfg, published, _ = _cell('CE+HMW', 'sym50', tmp_path, '--epochs', '20', '--warmup', '3')
    hmw = [h for h in cfg.custom_hooks if h.type == 'HMWHook'][0]
    assert hmw.warmup_epochs == 3 and hmw.alpha == 100.0
    assert cfg.param_scheduler.milestones == [10, 16]
    assert cfg.model.head.type == 'NoisyLinearClsHead' and cfg.model.head.bias is False
    # NegScale: the Fashion-MNIST taxonomy, its other options as published
    cfg, published, _ = _cell('RoLR+NegScale', 'sym50', tmp_path)
    (aux, ) = cfg.model.aux_losses
    assert aux.taxonomy == 'fashion_mnist'
    assert (aux.eta_min, aux.eta_max) == (published.model.aux_losses[0].eta_min,
                                          published.model.aux_losses[0].eta_max)
    # Co-teaching forgets the share of wrong labels; its ramp is the warm-up
    cfg, _, _ = _cell('Co-teaching', 'sym80', tmp_path)
    assert cfg.model.forget_rate == pytest.approx(0.72) and cfg.model.num_gradual == 4
    # VRLVMix at sym 80%: no SimCLR encoder (SCAN off, balancing on the record's features);
    # its other options as published
    cfg, published, _ = _cell('VRLVMix', 'sym80', tmp_path)
    assert published.model.scan is not None and cfg.model.scan is None
    assert 'init_cfg' in published.model.network.backbone
    assert 'init_cfg' not in cfg.model.network.backbone
    hooks = {h.type: h for h in cfg.custom_hooks}
    assert hooks['VRLVSelectionHook'].features == 'record'
    assert hooks['SampleRecordHook'].signals == dict(loss=11, pred=11, feature=1)
    assert (cfg.model.lambda_u, cfg.model.p_threshold, hooks['VRLVSelectionHook'].tau) == \
        (published.model.lambda_u, published.model.p_threshold, 10)
    cfg, published, _ = _cell('VRLVMix', 'sym50', tmp_path)  # no SCAN: nothing to drop
    assert {h.type: h for h in cfg.custom_hooks}['SampleRecordHook'].signals == \
        {h.type: h for h in published.custom_hooks}['SampleRecordHook'].signals
    # the clean ceiling: CE without noise
    cfg, _, _ = _cell('CE (clean)', 'sym50', tmp_path)
    assert cfg.train_dataloader.dataset.noise == dict(type='none')
    # no crop / flip (the default): the weak views are the image, the strong ones keep
    # RandAugment
    cfg, _, _ = _cell('RoLR', 'sym50', tmp_path)
    weak, strong = cfg.train_dataloader.dataset.dataset.pipeline[0]['transforms']
    assert weak == [] and [t['type'] for t in strong] == ['FixMatchRandAugment',
                                                          'RandomCutout']
    with pytest.raises(SystemExit, match='RoLR has no published config for asym40'):
        _cell('RoLR', 'asym40', tmp_path)


@pytest.mark.slow
def test_table_on_tiny_data(tmp_path, capsys):
    root = tmp_path / 'fashion'
    write_fashion(str(root), n_train=60, n_test=20)
    argv = ['--data-root', str(root), '--work-dir', str(tmp_path / 'w'), '--subset', '40',
            '--epochs', '2', '--warmup', '1', '--noises', 'sym50', '--methods', 'CE',
            'DivideMix', 'CE (clean)']
    results = bench.main(argv)
    rows = results['sym50']
    assert list(rows) == ['CE (clean)', 'CE', 'DivideMix']
    for name, cells in rows.items():
        r = cells[1]
        run = json.load(open(osp.join(bench.cell_dir(name, 'sym50', 1, bench.parse_args(argv)),
                                      'results.json')))
        assert r['top1_last'] == run['last'] and r['top1_last10'] == run['mean_last_k']
        assert len(r['accuracy']) == 2
    assert rows['CE (clean)'][1]['fitted']['wrong_fitted'] is None
    fit = rows['CE'][1]['fitted']
    assert 0 < fit['wrong_share'] < 0.6 and 0 <= fit['wrong_fitted'] <= 1
    assert rows['DivideMix'][1]['selection'] is not None
    # what the small-loss trick keeps with each network of the finished DivideMix cell:
    # forgetting nothing keeps all (precision = the clean share), half keeps 20 of 40
    from tools.analysis import small_loss_precision
    dm = bench.cell_dir('DivideMix', 'sym50', 1, bench.parse_args(argv))
    everything = small_loss_precision.main([dm, '--forget-rate', '0'])
    assert sorted(everything) == ['checkpoint', 'net1', 'net2']
    clean_share = 1 - rows['DivideMix'][1]['fitted']['wrong_share']
    for net in ('net1', 'net2'):
        q = everything[net]
        assert q['trusted_fraction'] == q['recall'] == 1.0
        assert q['precision'] == pytest.approx(clean_share) == q['clean_share']
    half = small_loss_precision.main([dm, '--forget-rate', '0.5'])
    assert half['net1']['trusted_fraction'] == 0.5
    table = capsys.readouterr().out
    assert '| sym50 | CE | ' in table and '| 1.00 | 1: ' in table
    # saved cells are reused, --report trains nothing, another setting is refused
    again = bench.main(argv + ['--report'])
    assert again == results
    with pytest.raises(SystemExit, match='was measured with'):
        bench.main([a if a != '2' else '3' for a in argv])


def test_markdown_means_over_seeds_and_detection_table():
    def cell(last, last10, best, epoch, secs, fit=None, sel=None, det=None):
        return dict(top1_last=last, top1_last10=last10, best=best, best_epoch=epoch,
                    seconds_per_epoch=secs, fitted=fit and dict(wrong_fitted=fit),
                    selection=sel, detection=det)
    results = {
        'sym50': {
            'CE': {1: cell(60, 61, 77, 7, 4.0, 0.99), 2: cell(62, 63, 75, 5, 5.0, 0.97)},
            'DivideMix': {1: cell(80, 79, 81, 30, 20.0, 0.1, dict(precision=0.9, recall=0.8)),
                          2: cell(82, 81, 83, 31, 20.0, 0.2, dict(precision=0.7, recall=0.6))}},
        'sym60': {'DynaCor': {1: cell(50, 50, 70, 3, 5.0, det=dict(
            dynacor=dict(f1=0.9), aum=dict(f1=0.8), gmm=dict(f1=0.7), cl=dict(f1=None))),
                              2: cell(50, 50, 70, 3, 5.0, det=dict(
            dynacor=dict(f1=0.8), aum=dict(f1=0.8), gmm=dict(f1=0.5), cl=dict(f1=None)))}}}
    args = bench.parse_args([])
    table = bench.markdown(results, args).splitlines()
    assert '| sym50 | CE | 61.00 | 62.00 | 76.00 (7/5) | 98.0 | - | 1.00 | 2: 60.00, 62.00 |' \
        in table
    # cost: 20/4 and 20/5 -> mean 4.5; selection averaged over the seeds
    assert '| sym50 | DivideMix | 81.00 | 80.00 | 82.00 (30/31) | 15.0 | 80.0 / 70.0 | 4.50 ' \
        '| 2: 80.00, 82.00 |' in table
    assert '| sym60 | 2 | 85.0 | 80.0 | 60.0 | - |' in table
    assert not any(line.startswith('| sym60 | DynaCor') for line in table)
    assert bench.pivot({'sym60': results['sym60']}) == ''  # detection only: no table
    results['asym40'] = {'CE': {1: cell(70, 69, 75, 3, 4.0, 0.5)}}
    assert bench.pivot(results).splitlines() == [
        '| method | sym50 | asym40 |', '|---|---|---|', '| CE | 61.00 (62.00) | 70.00 (69.00) |',
        '| DivideMix | 81.00 (80.00) | - |']


def test_second_seed_runs_the_close_comparisons():
    assert bench.plan_for_seed('sym50', 1) == bench.PLAN['sym50']
    assert bench.plan_for_seed('sym50', 2) == [
        'CE', 'CE+HMW', 'DivideMix', 'RoLR', 'CCL', 'RoLR+NegScale', 'UNICON', 'UNICON+HMW',
        'VRLVMix']
    assert bench.plan_for_seed('sym80', 2) == [] and bench.plan_for_seed('ins40', 2) == ['DynaCor']
