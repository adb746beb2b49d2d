"""Two-stream batches (CoTrainingBatchSampler): each network's labelled batch from its labelled
set, an unlabelled batch from the rest, its own shuffles; the learners train each network
on its own rows."""
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

import mmnoisy.all_modules  # noqa: F401
from mmnoisy.datasets import CoTrainingBatchSampler, stream_batches
from mmnoisy.datasets.samplers import split_stream_index, unicon_unlabelled_batch_size
from tests.conftest import ROOT, RANK_CHECK_HOOKS, dist_train_ranks_agree
from tests.test_co_training import build, params, set_trust

init_default_scope('mmnoisy')


def masks(n=1000, labelled=200, seed=0):
    """Two different labelled sets of ``labelled`` samples each (sym 80%: 20% kept)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(2):
        m = np.zeros(n, bool)
        m[rng.choice(n, labelled, replace=False)] = True
        out.append(m)
    return out


def per_network(batches, k):
    lab = [idx[codes == 2 * k] for idx, codes in batches]
    unl = [idx[codes == 2 * k + 1] for idx, codes in batches]
    return [x for x in lab if len(x)], [x for x in unl if len(x)]


def test_labelled_batch_is_full_at_80_percent_noise():
    """At sym 80% a shared batch of 64 holds ~13 labelled rows; here each network's batch
    holds 64 labelled rows and 64 unlabelled ones, and its epoch is its labelled set once."""
    m = masks()
    batches = stream_batches(1000, m, seed=3, epoch=12, batch_size=64)
    assert len(batches) == 2 * 4  # ceil(200 / 64) per network, net1's epoch then net2's
    for k in range(2):
        lab, unl = per_network(batches, k)
        assert [len(b) for b in lab] == [64, 64, 64, 8]
        assert [len(b) for b in unl] == [64, 64, 64, 64]
        seen = np.concatenate(lab)
        assert sorted(seen) == sorted(np.flatnonzero(m[k]))  # each labelled sample once
        assert not m[k][np.concatenate(unl)].any()
    # alternating: net1's whole epoch first
    assert all(set(c.tolist()) <= {0, 1} for _, c in batches[:4])
    assert all(set(c.tolist()) <= {2, 3} for _, c in batches[4:])


def test_networks_draw_independently_and_draws_are_fixed_by_seed_and_epoch():
    same = [np.ones(300, bool), np.ones(300, bool)]  # warm-up-like: the same set for both
    b = stream_batches(300, same, seed=1, epoch=0, batch_size=50)
    lab1, lab2 = per_network(b, 0)[0], per_network(b, 1)[0]
    assert not np.array_equal(np.concatenate(lab1), np.concatenate(lab2))
    again = stream_batches(300, same, seed=1, epoch=0, batch_size=50)
    assert all(np.array_equal(x[0], y[0]) for x, y in zip(b, again))
    other = stream_batches(300, same, seed=1, epoch=1, batch_size=50)
    assert not np.array_equal(b[0][0], other[0][0])


def test_warmup_covers_everything_per_network_and_interleaved_order():
    b = stream_batches(300, None, seed=0, epoch=0, batch_size=128, order='interleaved')
    assert len(b) == 3  # ceil(300 / 128), both networks in every batch
    for k in range(2):
        lab, unl = per_network(b, k)
        assert sorted(np.concatenate(lab)) == list(range(300)) and not unl
    assert set(b[0][1].tolist()) == {0, 2}


def test_unicon_batches_drop_last_and_scale_the_unlabelled_batch():
    assert unicon_unlabelled_batch_size(64, 0.25) == 128
    assert unicon_unlabelled_batch_size(64, 0.5) == 64
    m = masks(labelled=250)
    b = stream_batches(1000, m, seed=0, epoch=0, batch_size=64, unlabelled_batch_size='unicon',
                       drop_last=True)
    lab, unl = per_network(b, 0)
    assert [len(x) for x in lab] == [64, 64, 64]  # floor(250 / 64), the short one dropped
    assert [len(x) for x in unl] == [128, 128, 128]


def test_ranks_draw_disjoint_equal_parts():
    m = masks(n=1000, labelled=256)
    parts = [stream_batches(1000, m, seed=0, epoch=2, batch_size=32, rank=r, world_size=2)
             for r in range(2)]
    assert len(parts[0]) == len(parts[1]) == 2 * 4
    for k in range(2):
        lab0 = np.concatenate(per_network(parts[0], k)[0])
        lab1 = np.concatenate(per_network(parts[1], k)[0])
        assert len(lab0) == len(lab1) == 128 and not set(lab0) & set(lab1)
        assert sorted(np.concatenate([lab0, lab1])) == sorted(np.flatnonzero(m[k]))
    # batch shapes agree across ranks (each network's DDP step runs on every rank or none)
    for x, y in zip(*parts):
        assert np.array_equal(np.bincount(x[1], minlength=4), np.bincount(y[1], minlength=4))


def test_bad_options_and_masks():
    with pytest.raises(ValueError, match='order'):
        stream_batches(10, None, seed=0, epoch=0, batch_size=4, order='random')
    with pytest.raises(ValueError, match='shape'):
        stream_batches(10, [np.ones(9, bool)] * 2, seed=0, epoch=0, batch_size=4)
    with pytest.raises(ValueError, match='unlabelled_batch_size'):
        CoTrainingBatchSampler(None, 4, unlabelled_batch_size='half')
    assert split_stream_index((5, 3)) == (5, 3) and split_stream_index(7) == (7, None)


class _Sampler:
    def __init__(self, n):
        self.dataset, self.seed, self.epoch, self.rank, self.world_size = range(n), 4, 0, 0, 1


def test_batch_sampler_reads_the_labelled_sets_when_the_epoch_starts():
    m = masks(n=100, labelled=30)
    calls = []

    def labelled_sets(epoch):
        calls.append(epoch)
        return None if epoch == 0 else m

    sampler = _Sampler(100)
    bs = CoTrainingBatchSampler(sampler, 16, warmup_batch_size=32)
    assert len(bs) == 2 * 4  # before the first epoch: a warm-up epoch's length
    with pytest.raises(RuntimeError, match='CoTrainingHook'):
        list(bs)
    bs.labelled_sets = labelled_sets
    warm = list(bs)
    assert len(warm) == len(bs) == 8 and len(warm[0]) == 32 and warm[0][0][1] == 0
    sampler.epoch = 1
    method = list(bs)
    assert calls == [0, 1] and len(method) == len(bs) == 2 * 2  # ceil(30 / 16) per network
    assert {code for _, code in method[0]} == {0, 1}


def two_stream_batch(codes, views=2):
    g = torch.Generator().manual_seed(0)
    b = len(codes)
    imgs = [torch.randint(0, 4, (b, 1, 6, 6), generator=g).to(torch.uint8) for _ in range(views)]
    samples = [DataSample(metainfo=dict(sample_idx=i, stream=c)).set_gt_label(i % 4)
               for i, c in enumerate(codes)]
    return dict(inputs=[list(v) for v in imgs], data_samples=samples)


def test_dividemix_trains_each_network_on_its_own_streams():
    model, wrappers = build('DivideMix', warmup_epochs=1)
    # the tables would call every row labelled; the streams say which rows are
    set_trust(model, {n: torch.full((8, ), 0.9) for n in model.networks})
    model.set_progress(1, 5, 1.0, seed=0)
    log = model.train_step(two_stream_batch([0, 0, 0, 1, 1, 2, 3, 3]), wrappers)
    assert log['net1.labelled'].item() == pytest.approx(3 / 5)
    assert log['net2.labelled'].item() == pytest.approx(1 / 3)
    # a batch of net1's half of an alternating epoch leaves net2 untouched
    before = params(model, 'net2'), params(model, 'net1')
    log = model.train_step(two_stream_batch([0, 0, 1, 1]), wrappers)
    assert torch.equal(params(model, 'net2'), before[0])
    assert not torch.equal(params(model, 'net1'), before[1])
    assert 'net2.loss' not in log


def test_warmup_with_streams_trains_each_network_on_its_rows():
    model, wrappers = build('DivideMix', warmup_epochs=1)
    model.set_progress(0, 0, 0.0, seed=0)
    before = params(model, 'net1')
    model.train_step(two_stream_batch([2, 2, 2, 2]), wrappers)
    assert torch.equal(params(model, 'net1'), before)


def test_networks_draw_their_own_mixup():
    model, _ = build('DivideMix')
    model.set_progress(3, 11, 3.0, seed=5)
    assert model.rng('net1').beta(4, 4) != model.rng('net2').beta(4, 4)
    g1, g2 = model.torch_generator('cpu', 'net1'), model.torch_generator('cpu', 'net2')
    assert not torch.equal(torch.randperm(20, generator=g1), torch.randperm(20, generator=g2))


def test_streams_are_refused_by_one_batch_learners():
    model, wrappers = build('CoTeaching', warmup_epochs=0)
    with pytest.raises(ValueError, match='CoTrainingBatchSampler'):
        model.train_step(two_stream_batch([0, 1, 2, 3], views=1), wrappers)


@pytest.mark.slow
def test_dividemix_two_streams_distributed_two_cpu_processes(tmp_path):
    """The DivideMix demo (two-stream batches) under 2-process DDP: both networks and the
    tables stay equal across ranks (each network's step ran on both ranks or neither)."""
    cfg = tmp_path / 'dm_dist.py'
    cfg.write_text(f"_base_ = ['{ROOT}/configs/demo/dividemix_smallcnn_digits_sym40.py']\n"
                   + RANK_CHECK_HOOKS)
    log = dist_train_ranks_agree(cfg, tmp_path)
    assert 'selection epoch 3 net1 (GMM of net2)' in log


def published(pattern):
    import glob
    return sorted(p for p in glob.glob(f'{ROOT}/configs/{pattern}'))


def test_published_rolr_configs_use_the_authors_loaders():
    """RoLR's code: warm-up batches of 64 (one pass), then 2 passes of 448 per network epoch."""
    from mmengine.config import Config
    paths = published('rolr/rolr_preactresnet18_*.py') + published('negscale/negscale_rolr_pre*.py')
    assert len(paths) >= 20
    for path in paths:
        cfg = Config.fromfile(path)
        bs = cfg.train_dataloader.batch_sampler
        assert (bs.type, bs.warmup_batch_size, bs.passes, bs.drop_last) == \
            ('CoTrainingBatchSampler', 64, 2, True), path
        assert cfg.train_dataloader.batch_size == 448 and cfg.model.test_mode == 'logits_sum'
        assert cfg.model.get('warmup_neg_entropy', False) == ('pair' in path), path
    m = masks(n=1000, labelled=1000)
    b = stream_batches(1000, m, seed=0, epoch=20, batch_size=448, drop_last=True, passes=2)
    assert len(b) == 2 * 2 * 2  # floor(1000 / 448) = 2 batches a pass, 2 passes, 2 networks
    first = per_network(b, 0)[0]
    assert not set(first[0]) & set(first[1])  # a pass draws without replacement


def test_rolr_trains_each_network_on_its_rows():
    model, wrappers = build('RoLR', warmup_epochs=1)
    set_trust(model, {n: torch.full((8, ), 0.5) for n in model.networks})
    model.set_progress(1, 3, 1.0, seed=0)
    assert [m.sum() for m in model.labelled_sets(1)] == [8, 8]
    assert model.labelled_sets(0) is None
    before = params(model, 'net2')
    log = model.train_step(two_stream_batch([0, 0, 0, 0]), wrappers)
    assert torch.equal(params(model, 'net2'), before) and 'net2.loss' not in log
    assert 'net1.loss' in log


def test_published_configs_use_the_authors_batching():
    from mmengine.config import Config
    files = {'DivideMix': published('dividemix/dividemix_preactresnet18_*.py'),
             'UNICON': published('unicon/*unicon_preactresnet18_*.py'),
             'VRLVMix': published('vrlvmix/vrlvmix_preactresnet18_*.py')}
    assert all(len(v) >= 9 for v in files.values())
    for kind, paths in files.items():
        for path in paths:
            cfg = Config.fromfile(path)
            bs = cfg.train_dataloader.batch_sampler
            assert bs.type == 'CoTrainingBatchSampler' and bs.order == 'alternating', path
            assert bs.warmup_batch_size == 2 * cfg.train_dataloader.batch_size, path
            assert cfg.model.test_mode == 'logits_sum', path  # argmax(logits1 + logits2)
            if kind == 'UNICON':
                assert bs.unlabelled_batch_size == 'unicon' and bs.drop_last, path
                hook = [h for h in cfg.custom_hooks if h.type == 'UniconSelectionHook'][0]
                assert hook.log_base == 'e', path  # natural-log JSD (the authors' code)
            else:
                assert not bs.drop_last, path
