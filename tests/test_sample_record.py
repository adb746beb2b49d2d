import logging
import math
import types

import numpy as np
import pytest
import torch

from mmnoisy.engine import SampleRecord
from mmnoisy.engine.hooks import GMMConfidenceHook


def _epoch(record, epoch, net='net', offset=0.0):
    record.begin_epoch(epoch)
    idx = np.arange(record.num_samples)
    record.write(net, idx, {'loss': idx + 100.0 * epoch + offset,
                            'margin_sign': np.where(idx % 2, 1, -1)})
    record.sync()


def test_ring_buffer_keeps_the_last_epochs_in_order():
    record = SampleRecord(4, {'loss': 2, 'margin_sign': None}, max_epochs=5)
    for epoch in range(4):
        _epoch(record, epoch)
    losses = record.get('net', 'loss', last=2)
    assert losses.shape == (2, 4) and losses.dtype == np.float32
    assert np.array_equal(losses[:, 0], [200.0, 300.0])          # epochs 2, 3, oldest first
    assert record.recorded_epochs('net', 'loss') == [2, 3]
    signs = record.get('net', 'margin_sign', last=4)
    assert signs.dtype == np.int8 and signs.shape == (4, 4)
    assert np.array_equal(record.latest('net', 'loss'), [300.0, 301.0, 302.0, 303.0])
    with pytest.raises(ValueError, match='only 2 are kept'):
        record.get('net', 'loss', last=3)
    with pytest.raises(ValueError, match='5 epochs .* 4 recorded'):
        record.get('net', 'margin_sign', last=5)
    with pytest.raises(KeyError, match="'margin' is not recorded"):
        record.get('net', 'margin')


def test_rows_not_written_are_missing_and_a_pass_must_cover_all():
    record = SampleRecord(3, {'loss': 1, 'pred': 1})
    record.begin_epoch(0)
    record.write('net', [0, 2], {'loss': np.array([1.0, 2.0]), 'pred': np.array([4, 5])})
    with pytest.raises(RuntimeError, match='1 samples were not recorded.*\\[1\\]'):
        record.sync(require_complete=True)
    record.begin_epoch(0)
    record.write('net', [0, 2], {'loss': np.array([1.0, 2.0]), 'pred': np.array([4, 5])})
    record.sync()
    assert np.isnan(record.latest('net', 'loss')[1])
    assert record.latest('net', 'pred')[1] == np.iinfo(np.int16).min
    with pytest.raises(RuntimeError, match='begin_epoch'):
        record.write('net', [1], {'loss': np.array([1.0]), 'pred': np.array([1])})


def test_state_dict_round_trip_and_dataset_size_check():
    record = SampleRecord(4, {'loss': 3, 'feature': 1})
    record.begin_epoch(0)
    record.write('net', np.arange(4), {'loss': np.arange(4.0), 'feature': np.ones((4, 6))})
    record.sync()
    state = record.state_dict()
    again = SampleRecord(4, {'loss': 3, 'feature': 1})
    again.load_state_dict(state)
    assert np.array_equal(again.latest('net', 'loss'), record.latest('net', 'loss'))
    assert again.latest('net', 'feature').shape == (4, 6)
    with pytest.raises(ValueError, match='has 4 samples but the training set has 5'):
        SampleRecord(5, {'loss': 3, 'feature': 1}).load_state_dict(state)
    with pytest.raises(ValueError, match="'loss': the checkpoint keeps 3 epochs, the config 2"):
        SampleRecord(4, {'loss': 2, 'feature': 1}).load_state_dict(state)


def test_export_contents(tmp_path):
    record = SampleRecord(4, {'loss': None, 'margin_sign': None}, nets=('net1', 'net2'),
                          max_epochs=3)
    for epoch in range(2):
        record.begin_epoch(epoch)  # one epoch, both networks
        record.write('net1', np.arange(4), {'loss': np.arange(4) + 100.0 * epoch,
                                            'margin_sign': -np.ones(4)})
        record.write('net2', np.arange(4), {'loss': np.zeros(4), 'margin_sign': np.ones(4)})
        record.sync()
    path = record.export(str(tmp_path / 'r.npz'), extra={'noisy_labels': np.arange(4)})
    data = np.load(path)
    assert data['net1/loss'].shape == (2, 4) and list(data['net1/loss/epochs']) == [0, 1]
    assert np.array_equal(data['net1/loss'][1], [100, 101, 102, 103])
    assert np.array_equal(data['net2/margin_sign'], np.ones((2, 4)))
    assert list(data['noisy_labels']) == [0, 1, 2, 3]


def test_memory_is_sized_by_dtype():
    signals = {'cos_margin': None, 'cos_topk_margin': None, 'margin_sign': None}
    planned = SampleRecord.planned_nbytes(1000, {k: 201 for k in signals})
    record = SampleRecord(1000, signals, max_epochs=200)
    # two float16 signals for 201 epochs, and 2-bit signs: 4 epochs a byte
    assert record.nbytes == planned == 1000 * (201 * (2 + 2) + (201 + 3) // 4)


def test_packed_signs_round_trip_through_the_ring_buffer():
    n, history = 6, 5
    record = SampleRecord(n, {'margin_sign': history})
    rng = np.random.default_rng(0)
    written = {}
    for epoch in range(12):  # wraps the 5-slot ring more than twice
        record.begin_epoch(epoch)
        rows = np.arange(n) if epoch % 3 else np.arange(n - 1)  # last row missing sometimes
        values = rng.integers(-1, 2, len(rows))
        record.write('net', rows, {'margin_sign': values})
        record.sync()
        full = np.full(n, -128, np.int8)
        full[rows] = values
        written[epoch] = full
    got = record.get('net', 'margin_sign', last=history)
    assert got.dtype == np.int8
    assert np.array_equal(got, np.stack([written[e] for e in range(7, 12)]))
    state = record.state_dict()
    again = SampleRecord(n, {'margin_sign': history})
    again.load_state_dict(state)
    assert np.array_equal(again.get('net', 'margin_sign', last=history), got)
    record.begin_epoch(12)
    with pytest.raises(ValueError, match='holds -1, 0 or \\+1'):
        record.write('net', [0], {'margin_sign': np.array([3])})


def _fake_runner(model, epoch):
    logger = logging.getLogger('test_gmm_hook')
    visualizer = types.SimpleNamespace(add_scalars=lambda *a, **k: None)
    return types.SimpleNamespace(model=model, epoch=epoch, logger=logger, visualizer=visualizer)


def test_co_divide_hands_each_network_its_peers_table():
    n = 400
    record = SampleRecord(n, {'loss': 1}, nets=('net1', 'net2'))
    record.begin_epoch(0)
    low_first = np.r_[np.full(n // 2, 0.1), np.full(n // 2, 2.0)] + np.linspace(0, .01, n)
    record.write('net1', np.arange(n), {'loss': low_first})
    record.write('net2', np.arange(n), {'loss': low_first[::-1].copy()})
    record.sync()
    model = types.SimpleNamespace(sample_record=record)
    hook = GMMConfidenceHook(co_divide=True)
    available = {'net1': 1, 'net2': 1}
    out = hook.select(_fake_runner(model, 0), record, available)
    # net1's table comes from net2's losses, where the second half is small-loss
    assert out['net1'].trust[n // 2:].min() > 0.99
    assert out['net1'].trust[:n // 2].max() < 0.01
    assert out['net2'].trust[:n // 2].min() > 0.99
    assert isinstance(out['net1'].trust, torch.Tensor)
    assert out['net1'].fields() == {'trust'}
    assert hook.history[-1]['net1']['from_net'] == 'net2'
    out = GMMConfidenceHook(co_divide=False).select(_fake_runner(model, 0), record, available)
    assert out['net1'].trust[:n // 2].min() > 0.99


def test_sample_info_travels_with_the_record():
    """The rows' labels / clean labels / copy flags are looked up once (``sample_info``) and
    carried by the record; a record of another length refuses them."""
    from mmnoisy.datasets import SampleInfo
    info = SampleInfo(labels=np.array([0, 1, 2, 1]), clean_labels=np.array([0, 1, 1, 1]))
    assert info.is_noisy.tolist() == [False, False, True, False]
    assert list(info.arrays()) == ['noisy_labels', 'clean_labels']
    assert SampleInfo().is_noisy is None and SampleInfo(labels=np.zeros(3)).is_noisy is None
    assert SampleRecord(4, {'loss': 1}, info=info).info is info
    assert SampleRecord(4, {'loss': 1}).info.arrays() == {}
    with pytest.raises(ValueError, match='info.noisy_labels has 4 rows for 5 samples'):
        SampleRecord(5, {'loss': 1}, info=info)


# ------------------------------------------------------------------ derived columns
def _record_of(values, signal='loss', nets=('net', )):
    """A record holding ``values[e]`` (N,) of ``signal`` as epoch e, for every net."""
    n = len(values[0])
    record = SampleRecord(n, {signal: None}, nets=nets, max_epochs=len(values))
    for e, v in enumerate(values):
        record.begin_epoch(e)
        for net in nets:
            record.write(net, np.arange(n), {signal: np.asarray(v, np.float32)})
        record.sync()
    return record


def test_running_mean_skips_missing_entries_and_adds_each_epoch_once():
    from mmnoisy.engine.sample_record import RunningMean
    record = _record_of([[1.0, 2.0, np.nan], [3.0, np.nan, np.nan], [5.0, 4.0, 6.0]])
    mean = record.column(RunningMean(3, 'net', 'loss'))
    mean.update(record).update(record)     # the second update adds nothing
    np.testing.assert_array_equal(mean.value(), [3.0, 3.0, 6.0])
    np.testing.assert_array_equal(mean.counts, [3, 2, 1])


def test_columns_are_shared_by_key_and_saved_with_the_record():
    from mmnoisy.engine.sample_record import RunningIAM
    values = [[0.2, -0.1, 0.4, 0.0], [0.3, -0.2, 0.1, 0.05]]
    record = _record_of(values, 'prob_margin')
    signals = ('prob_margin', )
    a = record.column(RunningIAM(4, 2, 'net', signals, alpha=10, beta=10, use_tkum=False))
    b = record.column(RunningIAM(4, 2, 'net', signals, alpha=10, beta=10, use_tkum=False))
    c = record.column(RunningIAM(4, 2, 'net', signals, alpha=5, beta=10, use_tkum=False))
    assert a is b and c is not a and len(record.columns) == 2
    a.update(record)
    # Eq. 12 with the AUM term alone, annealed over 2 epochs (Eq. 8-9), by hand
    slices = [torch.sigmoid(-10 * torch.tensor(v, dtype=torch.float16).double()) for v in values]
    scale = [math.exp(1 + math.cos(e * math.pi / 2)) for e in (1, 2)]
    want = (scale[0] * slices[0] + scale[1] * slices[1]) / sum(scale)
    torch.testing.assert_close(a.value().double(), want, rtol=1e-6, atol=1e-6)
    # the record's state carries the column; a fresh record restores it bit for bit
    state = record.state_dict()
    fresh = _record_of([[0.0] * 4, [0.0] * 4], 'prob_margin')
    again = fresh.column(RunningIAM(4, 2, 'net', signals, alpha=10, beta=10, use_tkum=False))
    fresh.column(RunningIAM(4, 2, 'net', signals, alpha=5, beta=10, use_tkum=False))
    fresh.load_state_dict(state)
    assert again.epochs == [1, 2] and torch.equal(again.value(), a.value())


def test_resuming_without_a_column_the_run_keeps_is_refused():
    from mmnoisy.engine.sample_record import RunningMean
    record = _record_of([[1.0, 2.0]])
    state = record.state_dict()           # saved before any column existed
    record.column(RunningMean(2, 'net', 'loss'))
    with pytest.raises(ValueError, match="per-sample record has no 'mean/net/loss'"):
        record.load_state_dict(state)
