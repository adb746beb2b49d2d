"""``SampleRecord``: the per-sample record every method reads.

Rows are dataset indices (``sample_idx``), columns are signals (:data:`mmnoisy.selection.SIGNALS`),
kept per network over the last ``history`` epochs in a ring buffer of the smallest dtype that
holds the signal (2 bits for signs, int16 for classes, float16 for margins, float32 for losses).
A row not written in an epoch reads as NaN (floats) or the dtype's minimum (integers; -128 for
the 2-bit signs, which read back as int8).

Under distributed training each rank writes the rows of its shard; :meth:`sync` merges them so
that every rank ends the epoch with the same record. A row written on several ranks (padded
samplers repeat samples) takes the value of the lowest rank, so nothing is counted twice.

Per-sample columns derived from the signals over all epochs (:class:`RunningMean`,
:class:`RunningIAM`) live beside the signals in :meth:`SampleRecord.column`: hooks ask for
them by a key (two hooks asking for the same column share it), bring them up to date with
``column.update(record)``, and the record saves and restores them with its own state, so
every per-sample quantity of a run is in one checkpoint entry.
"""
import io
import json

import numpy as np

import torch

from mmnoisy.datasets.corrupted_copy import SampleInfo
from mmnoisy.selection.hmw import IAMAccumulator, hm_slice
from mmnoisy.selection.signals import SIGNALS, check_signal_names, compute_signals
from mmnoisy.utils.io import atomic_write


# 'int2': values in {-1, 0, +1} packed four epochs to a byte (code 0 = missing, else value + 2);
# read back as int8 with -128 for missing. Sign dynamics of 200 epochs cost 50 bytes a sample.
PACKED = 'int2'


def _missing(dtype):
    if dtype == PACKED:
        return np.iinfo(np.int8).min
    dtype = np.dtype(dtype)
    return np.nan if dtype.kind == 'f' else np.iinfo(dtype).min


def _nbytes_per_sample(dtype, history, width):
    if dtype == PACKED:
        return (history + 3) // 4 * width
    return np.dtype(dtype).itemsize * width * history


class SampleRecord:
    """Per-sample signals of one or more networks over epochs.

    Args:
        num_samples (int): N, the size of the training set.
        signals (dict): ``{name: history}``; history is how many epochs to keep (>= 1) or
            None for every epoch up to ``max_epochs``.
        nets (tuple[str]): network names (``('net',)``, or ``('net1', 'net2')``).
        max_epochs (int): needed when a history is None.
        num_classes (int): width of ``cos_dist`` and check of ``topk``.
        topk (int): k of the top-k margins.
        info (SampleInfo): the rows' labels, clean labels, copy flags and sources
            (:func:`mmnoisy.datasets.sample_info`; ``SampleRecordHook`` looks them up once),
            read by the hooks instead of the dataset. Not saved: the dataset gives them again.
    """

    def __init__(self, num_samples, signals, nets=('net', ), max_epochs=None, num_classes=None,
                 topk=1, info=None):
        if int(num_samples) < 1:
            raise ValueError(f'num_samples must be >= 1, got {num_samples}')
        check_signal_names(signals, num_classes, topk)
        info = SampleInfo() if info is None else info
        for name, values in info.arrays().items():
            if len(values) != int(num_samples):
                raise ValueError(f'info.{name} has {len(values)} rows for {num_samples} samples')
        self.info = info
        self.num_samples, self.nets, self.topk = int(num_samples), tuple(nets), int(topk)
        self.num_classes = num_classes
        self.history = {}
        for name, hist in signals.items():
            if hist is None:
                if max_epochs is None:
                    raise ValueError(f'signal {name!r} keeps every epoch: give max_epochs')
                hist = int(max_epochs) + 1
            if int(hist) < 1:
                raise ValueError(f'history of {name!r} must be >= 1 or None, got {hist}')
            self.history[name] = int(hist)
        self.buffers = {}      # (net, name) -> array (H, N[, W]), allocated on first need
        self.slot_epoch = {}   # (net, name) -> int64 (H,), epoch held by each slot, -1 = none
        self.completed = {net: [] for net in self.nets}   # epochs fully recorded, in order
        self.epoch = None
        self.active = False    # between begin_epoch() and sync(): rows may be written
        self._written = {net: np.zeros(self.num_samples, bool) for net in self.nets}
        self.columns = {}      # key -> derived column (RunningMean, RunningIAM)
        for net in self.nets:
            for name in self.history:
                if self._width(name) is not None:
                    self._allocate(net, name, self._width(name))

    # storage -----------------------------------------------------------------------------
    def _width(self, name):
        width = SIGNALS[name][2]
        if width == 1:
            return 0
        if width == 'classes':
            return self.num_classes
        return None  # features: known at the first write

    def _allocate(self, net, name, width):
        dtype = SIGNALS[name][0]
        if dtype == PACKED:
            if width:
                raise ValueError(f'{name!r}: packed signals hold one value per sample')
            buf = np.zeros(((self.history[name] + 3) // 4, self.num_samples), np.uint8)
        else:
            shape = (self.history[name], self.num_samples) + ((width, ) if width else ())
            buf = np.full(shape, _missing(dtype), dtype=dtype)
        self.buffers[(net, name)] = buf
        self.slot_epoch[(net, name)] = np.full(self.history[name], -1, np.int64)

    # one epoch's slot of a buffer: read, write rows, clear (packed or plain)
    def _read(self, net, name, slot, rows=slice(None)):
        buf = self.buffers[(net, name)]
        if SIGNALS[name][0] != PACKED:
            return buf[slot, rows]
        code = (buf[slot // 4, rows] >> (2 * (slot % 4))) & 3
        return np.where(code == 0, _missing(PACKED), code.astype(np.int8) - 2).astype(np.int8)

    def _write(self, net, name, slot, rows, values):
        buf = self.buffers[(net, name)]
        if SIGNALS[name][0] != PACKED:
            buf[slot, rows] = values.astype(buf.dtype, copy=False)
            return
        values = np.asarray(values).astype(np.int64)
        if values.size and (values.min() < -1 or values.max() > 1):
            raise ValueError(f'{name!r} holds -1, 0 or +1, got values in '
                             f'[{values.min()}, {values.max()}]')
        shift = 2 * (slot % 4)
        codes = np.where(values == _missing(PACKED), 0, values + 2).astype(np.uint8)
        byte = buf[slot // 4, rows]
        buf[slot // 4, rows] = (byte & np.uint8(~(3 << shift) & 0xFF)) | (codes << shift)

    def _clear(self, net, name, slot):
        buf = self.buffers[(net, name)]
        if SIGNALS[name][0] != PACKED:
            buf[slot] = _missing(buf.dtype)
        else:
            buf[slot // 4] &= np.uint8(~(3 << (2 * (slot % 4))) & 0xFF)

    @property
    def signals(self):
        return tuple(self.history)

    @property
    def nbytes(self):
        return sum(b.nbytes for b in self.buffers.values())

    @staticmethod
    def planned_nbytes(num_samples, signals, num_nets=1, num_classes=10, feature_dim=512):
        """Memory a record would take, without allocating it."""
        total = 0
        for name, hist in signals.items():
            dtype, _, width = SIGNALS[name]
            width = {1: 1, 'classes': num_classes, 'features': feature_dim}[width]
            total += _nbytes_per_sample(dtype, hist, width) * num_samples
        return total * num_nets

    # epochs ------------------------------------------------------------------------------
    def begin_epoch(self, epoch):
        """Start recording ``epoch``: its slot in every ring buffer is cleared."""
        self.epoch = int(epoch)
        self.active = True
        for key in self.buffers:
            slot = self._current(key[1])
            self._clear(*key, slot)
            self.slot_epoch[key][slot] = self.epoch
        for net in self.nets:
            self._written[net][:] = False
            if self.epoch in self.completed[net]:
                self.completed[net].remove(self.epoch)

    def write(self, net, sample_idx, values):
        """Store ``values`` ({signal: (B[, W]) array}) for the rows ``sample_idx``."""
        if not self.active:
            raise RuntimeError('the record is not recording: begin_epoch() first')
        idx = np.asarray(sample_idx, dtype=np.int64)
        for name in self.history:
            if name not in values:
                raise KeyError(f'signal {name!r} missing from the values written')
            val = np.asarray(values[name])
            if (net, name) not in self.buffers:
                self._allocate(net, name, val.shape[1] if val.ndim > 1 else 0)
                self.slot_epoch[(net, name)][self._current(name)] = self.epoch
            self._write(net, name, self._current(name), idx, val)
        self._written[net][idx] = True

    def record_batch(self, net, sample_idx, logits, labels, features=None, class_weights=None):
        """Compute this record's signals for a batch (torch tensors) and store them."""
        out = compute_signals(self.history, logits, labels, features, class_weights, self.topk)
        self.write(net, sample_idx, {k: v.cpu().numpy() for k, v in out.items()})

    def sync(self, require_complete=False):
        """Merge the rows each rank wrote this epoch; mark the epoch complete.

        With ``require_complete`` a row written by no rank is an error (a full pass must
        cover every sample)."""
        from mmengine.dist import all_gather_object, get_world_size
        for net in self.nets:
            if get_world_size() > 1:
                mine = np.flatnonzero(self._written[net])
                payload = {name: self._read(net, name, self._current(name), mine)
                           for name in self.history}
                gathered = all_gather_object((mine, payload))
                taken = np.zeros(self.num_samples, bool)
                for rows, vals in gathered:  # rank order: the lowest rank's value wins
                    new = ~taken[rows]
                    for name in self.history:
                        self._write(net, name, self._current(name), rows[new], vals[name][new])
                    taken[rows] = True
                self._written[net] = taken
            if require_complete and not self._written[net].all():
                lost = np.flatnonzero(~self._written[net])
                raise RuntimeError(f'{len(lost)} samples were not recorded in epoch '
                                   f'{self.epoch} for {net} (e.g. sample_idx {lost[:5].tolist()})')
            if self.epoch not in self.completed[net]:
                self.completed[net].append(self.epoch)
        self.active = False

    def _current(self, name):
        return self.epoch % self.history[name]

    # reading -----------------------------------------------------------------------------
    def recorded_epochs(self, net, name):
        """Completed epochs still held for ``name``, oldest first."""
        held = set(self.slot_epoch.get((net, name), np.array([], np.int64)).tolist())
        return [e for e in self.completed[net] if e in held]

    def get(self, net, name, last=1):
        """The ``last`` most recent completed epochs of a signal: (last, N[, W]), oldest first."""
        if name not in self.history:
            raise KeyError(f'signal {name!r} is not recorded; recorded: {self.signals}')
        if net not in self.nets:
            raise KeyError(f'no network {net!r}; networks: {self.nets}')
        if last > self.history[name]:
            raise ValueError(f'{last} epochs of {name!r} asked for, but only '
                             f'{self.history[name]} are kept (raise its history)')
        epochs = self.recorded_epochs(net, name)
        if len(epochs) < last:
            raise ValueError(f'{last} epochs of {name!r} asked for, {len(epochs)} recorded')
        return np.stack([self._read(net, name, e % self.history[name]) for e in epochs[-last:]])

    def get_epoch(self, net, name, epoch):
        """One completed, still held epoch of a signal: (N[, W])."""
        if epoch not in self.recorded_epochs(net, name):
            raise ValueError(f'epoch {epoch} of {name!r} is not held (held: '
                             f'{self.recorded_epochs(net, name)})')
        return self._read(net, name, epoch % self.history[name])

    def latest(self, net, name):
        return self.get(net, name, 1)[0]

    # derived columns --------------------------------------------------------------------
    def column(self, column):
        """The record's column with ``column``'s key: ``column`` itself the first time the
        key is asked, the existing one (shared, already accumulated) afterwards."""
        key = column.key
        if key not in self.columns:
            self.columns[key] = column
        return self.columns[key]

    # checkpoint and export --------------------------------------------------------------
    def state_dict(self):
        return {'num_samples': self.num_samples, 'nets': list(self.nets),
                'history': dict(self.history), 'epoch': self.epoch,
                'completed': {k: list(v) for k, v in self.completed.items()},
                'buffers': {f'{n}/{s}': b for (n, s), b in self.buffers.items()},
                'slot_epoch': {f'{n}/{s}': e for (n, s), e in self.slot_epoch.items()},
                'columns': {k: c.state_dict() for k, c in self.columns.items()}}

    def load_state_dict(self, state):
        if state['num_samples'] != self.num_samples:
            raise ValueError(
                f"the checkpoint's per-sample record has {state['num_samples']} samples but "
                f'the training set has {self.num_samples}: resuming into a different dataset')
        if tuple(state['nets']) != self.nets:
            raise ValueError(f"the checkpoint's record has networks {state['nets']}, the model "
                             f'{list(self.nets)}')
        for name, hist in self.history.items():
            if state['history'].get(name) != hist:
                raise ValueError(f'signal {name!r}: the checkpoint keeps '
                                 f"{state['history'].get(name)} epochs, the config {hist}")
        self.epoch = state['epoch']
        self.completed = {k: list(v) for k, v in state['completed'].items()}
        for key, buf in state['buffers'].items():
            net, name = key.split('/', 1)
            if name in self.history:
                self.buffers[(net, name)] = np.array(buf)
                self.slot_epoch[(net, name)] = np.array(state['slot_epoch'][key])
        saved = state.get('columns', {})
        for key, column in self.columns.items():
            if key not in saved:
                raise ValueError(f'resuming from a checkpoint whose per-sample record has no '
                                 f'{key!r} (it has {sorted(saved)}): the run was started '
                                 'without the hook that keeps it, or by an older mmnoisy')
            column.load_state_dict(saved[key])

    def export(self, path, signals=None, extra=None):
        """Write chronological histories to ``path`` (.npz, atomically):
        ``{net}/{signal}`` (epochs, N[, W]) and ``{net}/{signal}/epochs``, plus ``extra``."""
        arrays = dict(extra or {})
        for net in self.nets:
            for name in (signals or self.signals):
                epochs = self.recorded_epochs(net, name)
                if not epochs:
                    continue
                arrays[f'{net}/{name}'] = self.get(net, name, len(epochs))
                arrays[f'{net}/{name}/epochs'] = np.asarray(epochs, np.int64)
        arrays['meta_json'] = np.array(json.dumps(
            {'nets': list(self.nets), 'signals': list(signals or self.signals),
             'num_samples': self.num_samples, 'topk': self.topk}))
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        return atomic_write(path, buf.getvalue())


class RunningMean:
    """The mean over the recorded epochs of ``net``'s ``signal`` for every sample (NaN
    entries skipped, per sample), kept as float64 sums and counts: the record itself need
    only hold the last epoch. ``width``: the second dimension of a per-class signal."""

    def __init__(self, num_samples, net, signal, width=None):
        self.key = f'mean/{net}/{signal}'
        self.net, self.signal = net, signal
        shape = (int(num_samples), int(width)) if width else (int(num_samples), )
        self.sums = np.zeros(shape, np.float64)
        self.counts = np.zeros(int(num_samples), np.int32)
        self.seen = set()

    def update(self, record):
        """Add the recorded epochs not added yet."""
        for e in record.recorded_epochs(self.net, self.signal):
            if e in self.seen:
                continue
            vals = record.get_epoch(self.net, self.signal, e).astype(np.float64)
            ok = np.isfinite(vals) if vals.ndim == 1 else np.isfinite(vals).all(axis=1)
            self.sums[ok] += vals[ok]
            self.counts[ok] += 1
            self.seen.add(e)
        return self

    def value(self):
        if not self.counts.any():
            raise RuntimeError(f'the mean of {self.signal!r} was asked before any was recorded')
        denom = np.maximum(self.counts, 1)
        return self.sums / (denom[:, None] if self.sums.ndim == 2 else denom)

    def state_dict(self):
        return {'sums': torch.from_numpy(self.sums), 'counts': torch.from_numpy(self.counts),
                'seen': sorted(self.seen)}

    def load_state_dict(self, state):
        self.sums = state['sums'].numpy().copy()
        self.counts = state['counts'].numpy().copy()
        self.seen = set(int(e) for e in state['seen'])


class RunningIAM:
    """HMW's Integrated Area Margin (Eq. 7-9) of every sample over the recorded epochs of
    ``net``: each new epoch's slice (Eq. 12, :func:`~mmnoisy.selection.hmw.hm_slice` of the
    margin and, with ``use_tkum``, the top-k margin in ``signals``) added to an
    :class:`~mmnoisy.selection.hmw.IAMAccumulator`. The HMW weights and the detection hook's
    'iam' scores are the same column when their options agree."""

    def __init__(self, num_samples, total_epochs, net, signals, alpha=100.0, beta=100.0,
                 use_aum=True, use_tkum=True, anneal=True):
        self.net, self.signals = net, tuple(signals)
        self.alpha, self.beta = float(alpha), float(beta)
        self.use_aum, self.use_tkum = bool(use_aum), bool(use_tkum)
        self.key = (f'iam/{net}/{"+".join(self.signals)}/alpha={self.alpha:g}/beta='
                    f'{self.beta:g}/aum={int(self.use_aum)}/tkum={int(self.use_tkum)}/'
                    f'anneal={int(anneal)}')
        self.acc = IAMAccumulator(num_samples, total_epochs, anneal)

    @property
    def epochs(self):
        return self.acc.epochs

    def update(self, record):
        """Add the completed epochs the record holds that the IAM has not seen yet."""
        for e in record.recorded_epochs(self.net, self.signals[0]):
            if e + 1 not in self.acc.epochs:
                margin, *topk = (record.get_epoch(self.net, s, e) for s in self.signals)
                self.acc.update(hm_slice(margin, topk[0] if topk else None, self.alpha,
                                         self.beta, self.use_aum, self.use_tkum), e + 1)
        return self

    def value(self):
        """The IAM (gamma of Eq. 13) as a float32 tensor, or None before any epoch."""
        return self.acc.weights()

    def state_dict(self):
        return self.acc.state_dict()

    def load_state_dict(self, state):
        self.acc.load_state_dict(state)
