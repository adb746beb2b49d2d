"""Two-network learners: iterations, co-divide, start-up checks, end-to-end runs, resume and
distributed training (2 CPU processes)."""
import copy
import os.path as osp
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

import mmnoisy.all_modules  # noqa: F401
from mmnoisy.datasets import MultiPassSampler
from mmnoisy.engine.optimizers import CoTrainingOptimWrapperConstructor
from mmnoisy.models.interfaces import Selection
from mmnoisy.models.losses import uniform_prior_penalty
from mmnoisy.registry import MODELS
from tests.conftest import RANK_CHECK_HOOKS, ROOT, dist_train_ranks_agree, run_tool

init_default_scope('mmnoisy')

NETWORK = dict(type='NoisyClassifier', backbone=dict(type='SmallCNN', in_channels=1,
                                                      widths=(8, 16)),
               neck=dict(type='GlobalAveragePooling'),
               head=dict(type='LinearClsHead', num_classes=4, in_channels=16))
LEARNERS = {
    'CoTeaching': dict(type='CoTeaching', forget_rate=0.5, num_gradual=0),
    'DivideMix': dict(type='DivideMix', lambda_u=25, rampup_length=0),
    'RoLR': dict(type='RoLR'),
    'CCL': dict(type='CCL'),
}
VARIANTS = dict(LEARNERS, CCL_weak_grad=dict(type='CCL', weak_view_grad=True),
                DivideMix_ccl=dict(type='DivideMix', ccl=dict(cvl=True, cml=True)))
DEMOS = {name: f'configs/demo/{name.lower()}_smallcnn_digits_sym40.py' for name in LEARNERS}


def build(kind, **kwargs):
    torch.manual_seed(0)
    cfg = dict(VARIANTS[kind], network=NETWORK, warmup_epochs=1,
               data_preprocessor=dict(num_classes=4, mean=[0.0], std=[1.0]))
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    wrappers = CoTrainingOptimWrapperConstructor(
        dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)))(model)
    return model, wrappers


def batch(b=8, views=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    imgs = [torch.randint(0, 4, (b, 1, 6, 6), generator=g).to(torch.uint8) for _ in range(views)]
    samples = [DataSample(metainfo=dict(sample_idx=i)).set_gt_label(i % 4) for i in range(b)]
    return dict(inputs=[list(v) for v in imgs], data_samples=samples)


def set_trust(model, tables):
    """Hand each network the GMM confidence ``tables[net]``, as GMMConfidenceHook does."""
    for name, table in tables.items():
        model.set_selection(name, Selection(trust=table))


def params(model, name):
    return torch.cat([p.detach().flatten().clone() for p in getattr(model, name).parameters()])


@pytest.mark.parametrize('kind', list(VARIANTS))
def test_one_iteration_updates_both_networks(kind):
    model, wrappers = build(kind)
    set_trust(model, {n: torch.rand(8, generator=torch.Generator().manual_seed(1))
                      for n in model.networks})
    model.set_progress(epoch=2, iteration=5, progress=2.0, seed=0)
    before = {n: params(model, n) for n in model.networks}
    log = model.train_step(batch(), wrappers)
    for name in model.networks:
        assert not torch.equal(before[name], params(model, name)), name
        assert torch.isfinite(log[f'{name}.loss'])


def test_warmup_is_plain_cross_entropy_on_the_first_view():
    model, wrappers = build('CCL', warmup_epochs=3)
    model.set_progress(0, 0, 0.0, 0)
    data = batch()
    processed = model.data_preprocessor(copy.deepcopy(data), True)
    labels = torch.tensor([i % 4 for i in range(8)])
    expected = F.cross_entropy(model.net1(processed['inputs'][0]), labels)
    log = model.train_step(data, wrappers)  # no confidence table needed in warm-up
    assert log['net1.loss'].item() == pytest.approx(expected.item(), rel=1e-5)
    model, wrappers = build('CCL', warmup_epochs=3, warmup_neg_entropy=True)
    model.set_progress(0, 0, 0.0, 0)
    logits = model.net2(processed['inputs'][0])
    expected = F.cross_entropy(logits, labels) + (logits.softmax(1) *
                                                  logits.log_softmax(1)).sum(1).mean()
    log = model.train_step(data, wrappers)
    assert log['net2.loss'].item() == pytest.approx(expected.item(), rel=1e-5)


def test_each_network_trains_with_the_table_meant_for_it():
    """RoLR: net1's table says "all clean", net2's "all noisy". net1's target is then the
    given label; net2's is the networks' mean weak prediction."""
    model, wrappers = build('RoLR')
    set_trust(model, {'net1': torch.ones(8), 'net2': torch.zeros(8)})
    model.set_progress(2, 0, 2.0, 0)
    data = batch()
    x = model.data_preprocessor(copy.deepcopy(data), True)['inputs']
    labels = torch.tensor([i % 4 for i in range(8)])
    logits1 = model.net1(x[1])  # strong view, train mode (same batch statistics as the step)
    with torch.no_grad():
        q = (model.net1(x[0]).softmax(1) + model.eval_forward('net1', x[0]).softmax(1)) / 2
    log = model.train_step(data, wrappers)
    assert log['net1.loss_refurb'].item() == pytest.approx(
        F.cross_entropy(logits1, labels).item(), rel=1e-5)
    assert log['net1.penalty'].item() == pytest.approx(
        uniform_prior_penalty(logits1.softmax(1)).item(), rel=1e-4)
    assert log['net1.trust'].item() == 1 and log['net2.trust'].item() == 0
    # net2's target does not involve the labels: with net1 already updated, it is
    # (net2(x_w) + net1.eval(x_w)) / 2 -- checked through DivideMix's labelled fraction below
    assert q.shape == (8, 4)


def test_dividemix_splits_by_the_peer_table_and_ramps_lambda_u():
    model, wrappers = build('DivideMix', p_threshold=0.5, rampup_length=16)
    set_trust(model, {'net1': torch.tensor([0.9] * 6 + [0.1] * 2),
                      'net2': torch.tensor([0.1] * 8)})
    model.set_progress(epoch=1, iteration=0, progress=5.0, seed=0)  # warm-up 1: ramp 4/16
    log = model.train_step(batch(), wrappers)
    assert log['net1.labelled'].item() == pytest.approx(0.75)
    assert log['net2.labelled'].item() == 0
    assert log['lambda_u'].item() == pytest.approx(25 * 4 / 16)


def test_dividemix_draws_are_fixed_by_seed_and_iteration():
    logs = []
    for _ in range(2):
        model, wrappers = build('DivideMix')
        set_trust(model, {n: torch.full((8, ), 0.7) for n in model.networks})
        model.set_progress(3, 11, 3.0, seed=5)
        logs.append(model.train_step(batch(), wrappers))
    assert logs[0]['net1.loss'].item() == logs[1]['net1.loss'].item()


def test_coteaching_first_epoch_drops_the_codes_second_schedule_entry():
    """The authors' loop trains epochs 1..n-1 with rate_schedule[epoch]: its first epoch
    already drops linspace(0, tau, T_k)[1] = tau / (T_k - 1) of each batch."""
    model, wrappers = build('CoTeaching', forget_rate=0.5, num_gradual=5, warmup_epochs=0)
    model.set_progress(0, 0, 0.0, 0)
    log = model.train_step(batch(), wrappers)
    assert log['forget_rate'].item() == pytest.approx(0.5 / 4)
    model.set_progress(3, 0, 3.0, 0)
    assert model.train_step(batch(), wrappers)['forget_rate'].item() == pytest.approx(0.5)
    model, wrappers = build('CoTeaching', forget_rate=0.5, num_gradual=5, warmup_epochs=0,
                            schedule_offset=0)
    model.set_progress(0, 0, 0.0, 0)
    assert model.train_step(batch(), wrappers)['forget_rate'].item() == 0


def test_coteaching_exchanges_small_loss_samples():
    model, wrappers = build('CoTeaching', forget_rate=0.5, num_gradual=0, warmup_epochs=0)
    model.set_progress(0, 0, 0.0, 0)
    data = batch()
    x = model.data_preprocessor(copy.deepcopy(data), True)['inputs'][0]
    labels = torch.tensor([i % 4 for i in range(8)])
    l1 = F.cross_entropy(model.net1(x), labels, reduction='none')
    l2 = F.cross_entropy(model.net2(x), labels, reduction='none')
    keep1, keep2 = torch.argsort(l1)[:4], torch.argsort(l2)[:4]
    log = model.train_step(data, wrappers)
    assert log['forget_rate'].item() == 0.5
    assert log['net1.loss'].item() == pytest.approx(l1[keep2].mean().item(), rel=1e-5)
    assert log['net2.loss'].item() == pytest.approx(l2[keep1].mean().item(), rel=1e-5)


def test_ccl_term_switches_and_dividemix_with_ccl_terms():
    model, wrappers = build('CCL', loss_weights=dict(acl=0, vm=0, pg=0))
    tables = {n: torch.full((8, ), 0.5) for n in model.networks}
    set_trust(model, tables)
    model.set_progress(2, 0, 2.0, 0)
    log = model.train_step(batch(), wrappers)
    assert log['net1.loss_acl'].item() > 0  # still logged ...
    model2, wrappers2 = build('CCL')
    set_trust(model2, tables)
    model2.set_progress(2, 0, 2.0, 0)
    log2 = model2.train_step(batch(), wrappers2)
    # ... but only counted when switched on: same networks and batch, the difference is CVL
    cvl = sum(log2[f'net1.loss_{k}'] for k in ('acl', 'vm', 'pg'))
    assert (log2['net1.loss'] - log['net1.loss']).item() == pytest.approx(cvl.item(), rel=1e-4)
    dm, dmw = build('DivideMix', ccl=dict(cvl=True, cml=False))
    assert dm.num_views == 3
    set_trust(dm, tables)
    dm.set_progress(2, 0, 2.0, 0)
    assert 'net1.loss_ccl' in dm.train_step(batch(views=3), dmw)
    with pytest.raises(ValueError, match='needs 3 views'):
        dm.train_step(batch(views=2), dmw)


def test_bad_learner_configs():
    with pytest.raises(ValueError, match='two networks'):
        MODELS.build(dict(type='CCL', networks=[NETWORK]))
    with pytest.raises(ValueError, match='exactly one of network'):
        MODELS.build(dict(type='CCL'))
    for kind, bad, match in [('DivideMix', dict(p_threshold=1.5), 'p_threshold'),
                             ('CCL', dict(threshold=1.2), 'threshold c'),
                             ('CCL', dict(temperature=0), 'temperature'),
                             ('CCL', dict(loss_weights=dict(cvl=1)), 'unknown CCL loss terms'),
                             ('CoTeaching', dict(forget_rate=1.0), 'forget_rate'),
                             ('RoLR', dict(lambda_p=-1), 'lambda_p')]:
        with pytest.raises(ValueError, match=match):
            build(kind, **bad)
    model, wrappers = build('RoLR')
    model.set_progress(2, 0, 2.0, 0)
    with pytest.raises(RuntimeError, match='GMMConfidenceHook'):
        model.train_step(batch(), wrappers)
    with pytest.raises(ValueError, match='one optimizer per network'):
        model.train_step(batch(), {'net1': wrappers['net1']})


def test_multi_view_preprocessor_and_predict():
    model, _ = build('RoLR')
    out = model.data_preprocessor(batch(b=4, views=2), False)
    assert isinstance(out['inputs'], list) and len(out['inputs']) == 2
    assert out['inputs'][0].shape == (4, 1, 6, 6) and out['inputs'][0].dtype == torch.float32
    single = model.data_preprocessor(dict(inputs=list(batch(b=4, views=1)['inputs'][0]),
                                          data_samples=None), False)
    assert torch.is_tensor(single['inputs'])
    # default_collate's batches (one stacked tensor per view) give the same tensors
    pseudo = batch(b=4, views=2)
    stacked = dict(inputs=[torch.stack(v) for v in pseudo['inputs']],
                   data_samples=pseudo['data_samples'])
    out_stacked = model.data_preprocessor(stacked, False)
    assert isinstance(out_stacked['inputs'], list) and len(out_stacked['inputs']) == 2
    assert all(torch.equal(a, b) for a, b in zip(out_stacked['inputs'], out['inputs']))
    assert torch.equal(model.data_preprocessor(dict(inputs=stacked['inputs'][0]), False)['inputs'],
                       out['inputs'][0])
    model.eval()
    preds = model(single['inputs'], mode='predict')
    x = single['inputs']
    mean = (model.net1(x).softmax(1) + model.net2(x).softmax(1)) / 2
    assert torch.allclose(torch.stack([p.pred_score for p in preds]), mean, atol=1e-6)
    # the DivideMix / UNICON code's test: argmax of the sum of both networks' logits
    model.test_mode = 'logits_sum'
    summed = model.net1(x) + model.net2(x)
    assert torch.allclose(model(x, mode='tensor'), summed.softmax(1), atol=1e-6)


def test_optim_constructor_per_network_settings():
    model, _ = build('RoLR')
    wrappers = CoTrainingOptimWrapperConstructor(dict(
        net1=dict(optimizer=dict(type='SGD', lr=0.1)),
        net2=dict(optimizer=dict(type='Adam', lr=0.001)), clip_grad=dict(max_norm=5)))(model)
    assert type(wrappers['net1'].optimizer).__name__ == 'SGD'
    assert type(wrappers['net2'].optimizer).__name__ == 'Adam'
    assert wrappers['net2'].clip_grad_kwargs == dict(max_norm=5)
    ids1 = {id(p) for g in wrappers['net1'].optimizer.param_groups for p in g['params']}
    assert ids1 == {id(p) for p in model.net1.parameters()}
    with pytest.raises(ValueError, match='every network'):
        CoTrainingOptimWrapperConstructor(dict(net1=dict(optimizer=dict(type='SGD', lr=1))))(model)


def test_multi_pass_sampler():
    data = list(range(10))
    sampler = MultiPassSampler(data, passes=2, seed=3)
    idx = list(sampler)
    assert len(idx) == len(sampler) == 20
    assert sorted(idx[:10]) == data and sorted(idx[10:]) == data and idx[:10] != idx[10:]
    sampler.set_epoch(1)
    assert list(sampler) != idx
    # two ranks: disjoint shards in each pass, covering the data
    shards = []
    for rank in range(2):
        s = MultiPassSampler(data, passes=2, seed=3)
        s.rank, s.world_size = rank, 2
        s.num_samples, s.total_size = 5, 10
        shards.append(list(s))
    assert sorted(shards[0][:5] + shards[1][:5]) == data
    with pytest.raises(ValueError, match='passes'):
        MultiPassSampler(data, passes=0)


# ----------------------------------------------------------------------- runs via the tools
def _opts(tmp_path, epochs=3, warmup=1):
    return ['--work-dir', str(tmp_path), '--cfg-options', f'train_cfg.max_epochs={epochs}',
            f'model.warmup_epochs={warmup}', f'param_scheduler.T_max={epochs}']


@pytest.mark.slow
@pytest.mark.parametrize('kind', list(LEARNERS))
def test_end_to_end_run(kind, tmp_path):
    """Warm-up and method phase through tools/train.py on the digits demo config."""
    config = DEMOS[kind]
    warmup = 0 if kind == 'CoTeaching' else 2
    proc = run_tool('tools/train.py', config, *_opts(tmp_path, 4, warmup))
    log = proc.stdout + proc.stderr
    acc = [float(v) for v in re.findall(r'accuracy/top1: ([\d.]+)', log)]
    assert len(acc) == 4 and acc[-1] > 25, log[-2000:]  # 10 classes: chance is 10%
    assert (tmp_path / 'epoch_4.pth').is_file()
    state = torch.load(tmp_path / 'epoch_4.pth', weights_only=False)
    assert set(state['optimizer']) >= {'net1', 'net2'}
    if kind != 'CoTeaching':
        assert 'selection epoch 4 net1 (GMM of net2)' in log
        assert (tmp_path / 'selection_quality.json').is_file()
    # the checkpoint tests with the mean of both networks' predictions
    proc = run_tool('tools/test.py', config, str(tmp_path / 'epoch_4.pth'), '--work-dir',
                    str(tmp_path / 'test'))
    assert abs(float(re.findall(r'accuracy/top1: ([\d.]+)', proc.stdout + proc.stderr)[-1]) -
               acc[-1]) < 1e-3


@pytest.mark.slow
def test_resume_mid_way_reproduces_the_uninterrupted_run(tmp_path):
    """DivideMix (record, GMM tables, two optimizers, mixup draws): killed after epoch 3,
    resumed, it ends with the weights of the uninterrupted run, random views included (the
    mid-epoch kill of the other learners: tests/test_resume.py)."""
    cfg = tmp_path / 'dm.py'
    cfg.write_text(f"_base_ = ['{ROOT}/{DEMOS['DivideMix']}']\n")
    killed = tmp_path / 'killed.py'
    killed.write_text(f"_base_ = ['{cfg}']\n"
                      "custom_imports = dict(imports=['tests.kill_hook'])\n"
                      "custom_hooks = [dict(type='CoTrainingHook'),\n"
                      "  dict(type='SampleRecordHook', mode='pass', begin_epoch='warmup',\n"
                      "       pipeline='test', signals=dict(loss=1)),\n"
                      "  dict(type='GMMConfidenceHook', signal='loss', begin_epoch='warmup'),\n"
                      "  dict(type='KillAfterEpoch', epoch=3)]\n")
    opts = ['--cfg-options', 'train_cfg.max_epochs=5', 'model.warmup_epochs=1',
            'param_scheduler.T_max=5', 'default_hooks.checkpoint.interval=1',
            'default_hooks.checkpoint.max_keep_ckpts=6']
    run_tool('tools/train.py', str(cfg), '--work-dir', str(tmp_path / 'a'), *opts)
    proc = run_tool('tools/train.py', str(killed), '--work-dir', str(tmp_path / 'b'), *opts,
                    check=False)
    assert proc.returncode == 17 and not (tmp_path / 'b' / 'epoch_4.pth').exists()
    run_tool('tools/train.py', str(cfg), '--work-dir', str(tmp_path / 'b'), '--resume', *opts)
    a = torch.load(tmp_path / 'a' / 'epoch_5.pth', weights_only=False)
    b = torch.load(tmp_path / 'b' / 'epoch_5.pth', weights_only=False)
    for key in a['state_dict']:
        assert torch.equal(a['state_dict'][key], b['state_dict'][key]), key
    for net in ('net1', 'net2'):
        sa, sb = a['optimizer'][net]['state'], b['optimizer'][net]['state']
        assert sa.keys() == sb.keys()
        for k in sa:
            assert torch.equal(sa[k]['momentum_buffer'], sb[k]['momentum_buffer'])


@pytest.mark.slow
def test_ccl_distributed_two_cpu_processes(tmp_path):
    cfg = tmp_path / 'ccl_dist.py'
    cfg.write_text(f"_base_ = ['{ROOT}/{DEMOS['CCL']}']\n"
                   + RANK_CHECK_HOOKS)
    log = dist_train_ranks_agree(cfg, tmp_path)
    assert 'MMSeparateDistributedDataParallel' in log or (tmp_path / 'epoch_3.pth').is_file()
    assert 'selection epoch 3 net1 (GMM of net2)' in log


def test_amp_gives_each_network_an_amp_wrapper(monkeypatch):
    """--amp on a co-training config: enable_amp marks the shared optim_wrapper and the
    constructor builds one AmpOptimWrapper per network (CUDA is faked: the wrapper only
    checks for it at construction)."""
    import mmengine.optim.optimizer.amp_optimizer_wrapper as amp
    from mmnoisy.utils.tools import enable_amp
    with monkeypatch.context() as m:
        m.setattr(torch.cuda, 'is_available', lambda: True)
        cfg = enable_amp(Config.fromfile(f"{ROOT}/{DEMOS['CCL']}"))
    monkeypatch.setattr(amp, 'is_cuda_available', lambda: True)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    model, _ = build('CCL')
    from mmengine.optim import build_optim_wrapper
    wrappers = build_optim_wrapper(model, cfg.optim_wrapper)  # what the runner calls
    assert [type(wrappers[n]).__name__ for n in ('net1', 'net2')] == ['AmpOptimWrapper'] * 2


def test_record_hook_options_are_checked():
    from mmnoisy.engine.hooks import GMMConfidenceHook, SampleRecordHook
    with pytest.raises(ValueError, match="'train_weak' or 'test'"):
        SampleRecordHook(signals=dict(loss=1), pipeline='weak')
    with pytest.raises(ValueError, match="begin_epoch must be an epoch >= 0 or 'warmup'"):
        GMMConfidenceHook(begin_epoch='after-warmup')
    with pytest.raises(ValueError, match="begin_epoch must be"):
        SampleRecordHook(signals=dict(loss=1), begin_epoch=-1)


@pytest.mark.slow
def test_rolr_two_passes_per_epoch(tmp_path):
    """RoLR's epoch of two shuffled passes (MultiPassSampler) through the runner: the digits'
    1347 samples in batches of 64 take 22 iterations per pass, 43 for two."""
    proc = run_tool('tools/train.py', DEMOS['RoLR'], '--work-dir', str(tmp_path), '--cfg-options',
                    'train_dataloader.sampler.type=MultiPassSampler', 'train_cfg.max_epochs=2',
                    'model.warmup_epochs=1', 'default_hooks.logger.interval=1')
    log = proc.stdout + proc.stderr
    assert 'Epoch(train) [2][43/43]' in log and 'Epoch(train) [2][44/' not in log, log[-2000:]


def test_take_rows_is_boolean_indexing():
    from mmnoisy.models.learners.co_training import take_rows
    x = torch.arange(12.).view(6, 2)
    for mask in ([1, 0, 1, 1, 0, 0], [0] * 6, [1] * 6):
        mask = torch.tensor(mask, dtype=torch.bool)
        assert torch.equal(take_rows(x, mask), x[mask])


@pytest.mark.slow
@pytest.mark.parametrize('mode', ['online', 'pass'])
def test_online_record_of_a_two_network_learner_is_refused_at_start_up(tmp_path, mode):
    """A two-network learner does not record in its training step (``records_online`` is
    False): mode='online' would leave the record empty and the GMM split on NaN, so the run
    stops before training; mode='pass' records both networks from the first epoch."""
    from mmnoisy.utils.tools import build_runner, load_config
    cfg = load_config(osp.join(ROOT, DEMOS['CCL']))
    cfg.work_dir = str(tmp_path / mode)
    cfg.experiment_name = mode
    cfg.train_cfg.max_epochs = cfg.model.warmup_epochs + 1
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    (record, ) = [h for h in cfg.custom_hooks if h['type'] == 'SampleRecordHook']
    record['mode'] = mode
    if mode == 'online':
        record.pop('pipeline')  # the pass's only
    runner = build_runner(cfg)
    if mode == 'online':
        with pytest.raises(ValueError, match="CCL does not record during its training "
                                             "step; use mode='pass'"):
            runner.train()
        assert not list((tmp_path / mode).glob('*.pth'))
        return
    runner.train()
    record = runner.model.sample_record
    for net in ('net1', 'net2'):
        loss = record.latest(net, 'loss')
        assert loss.shape == (len(runner.train_dataloader.dataset), )
        assert np.isfinite(loss).all() and (loss > 0).all()
