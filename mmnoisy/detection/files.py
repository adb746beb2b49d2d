"""The files of noisy-label detection: the inputs every detector reads
(``{out_dir}/inputs.npz``, so that ``tools/detect_noisy_labels.py WORK_DIR`` scores again
without training), and the results (``{method}_suspects.csv``, ``summary.json``)."""
import io
import json
import os.path as osp

import numpy as np

from mmnoisy.utils.io import atomic_write

from .detectors import DETECTORS


class DetectionInputs:
    """What the detectors read, for every training row (originals and copies).

    ``save``/``load`` keep them in one .npz (``{out_dir}/inputs.npz``), so that
    ``tools/detect_noisy_labels.py WORK_DIR`` can run detectors again without training; the
    dynamics are stored as bits when every value is -1 or +1."""
    FIELDS = ('mean_margin', 'mean_loss', 'mean_prob', 'iam')

    def __init__(self, labels, is_copy, source_idx=None, dynamics=None, mean_margin=None,
                 mean_loss=None, mean_prob=None, iam=None):
        self.labels, self.is_copy, self.source_idx = labels, np.asarray(is_copy, bool), \
            source_idx
        self.dynamics, self.mean_margin, self.mean_loss = dynamics, mean_margin, mean_loss
        self.mean_prob, self.iam = mean_prob, iam

    def available(self):
        """The detectors these inputs can run (:data:`DETECTORS` order)."""
        copies = bool(self.is_copy.any())
        return [m for m, d in DETECTORS.items()
                if getattr(self, d.reads) is not None and (copies or not d.needs_copies)]

    def save(self, path, clean_labels=None):
        arrays = dict(labels=self.labels, is_copy=self.is_copy)
        if self.source_idx is not None:
            arrays['source_idx'] = self.source_idx
        if clean_labels is not None:
            arrays['clean_labels'] = clean_labels
        for k in self.FIELDS:
            if getattr(self, k) is not None:
                arrays[k] = getattr(self, k)
        if self.dynamics is not None:
            dyn = np.asarray(self.dynamics)
            arrays['dynamics_shape'] = np.array(dyn.shape)
            if np.isin(dyn, (-1, 1)).all():
                arrays['dynamics_bits'] = np.packbits(dyn > 0)
            else:
                arrays['dynamics'] = dyn.astype(np.int8)
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        return atomic_write(path, buf.getvalue())

    @classmethod
    def load(cls, path):
        """(inputs, clean_labels or None) from a file written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
        inputs = cls(data['labels'], data['is_copy'], data.get('source_idx'),
                     **{k: data[k] for k in cls.FIELDS if k in data})
        if 'dynamics_bits' in data:
            shape = tuple(data['dynamics_shape'])
            bits = np.unpackbits(data['dynamics_bits'], count=int(np.prod(shape)))
            inputs.dynamics = (bits.astype(np.int8) * 2 - 1).reshape(shape)
        elif 'dynamics' in data:
            inputs.dynamics = data['dynamics']
        return inputs, data.get('clean_labels')


def format_metrics(res):
    m = res['metrics']
    text = f"{m['num_flagged']} of {m['num_samples']} flagged"
    for k in ('precision', 'recall', 'f1', 'auroc'):
        if k in m:
            text += f', {k} ' + ('n/a' if m[k] is None else f'{m[k]:.4f}')
    if 'best_epoch' in res:
        text += f", encoder epoch {res['best_epoch']}"
        curve = res.get('metric') or []
        if res['best_epoch'] == 0 and len(curve) > 1:
            text += (f' (the validation metric, {curve[0]:.4g} before training, never rose: '
                     f'best after training {max(curve[1:]):.4g}; the scores are those of the '
                     'untrained encoder, whose centroids are the mean embeddings of the copies '
                     'and of the originals)')
    if m.get('note'):
        text += f" ({m['note']})"
    return text


def write_results(out_dir, results, given_labels):
    """``{method}_suspects.csv`` per method and ``summary.json`` (atomic writes)."""
    for m, res in results.items():
        buf = io.StringIO()
        buf.write('sample_index,given_label,score,flag\n')
        for i, (y, s, f) in enumerate(zip(given_labels.tolist(), res['scores'].tolist(),
                                          res['flags'].astype(int).tolist())):
            buf.write(f'{i},{y},{s:.6g},{f}\n')
        atomic_write(osp.join(out_dir, f'{m}_suspects.csv'), buf.getvalue().encode())
    path = osp.join(out_dir, 'summary.json')
    summary = {}
    if osp.isfile(path):  # methods run earlier on the same inputs stay listed
        try:
            with open(path) as f:
                summary = json.load(f)
        except ValueError:
            summary = {}
    summary.update({m: {k: v for k, v in res.items() if k not in ('scores', 'flags')}
                    for m, res in results.items()})
    atomic_write(path, json.dumps(summary, indent=1).encode())
    return out_dir


__all__ = ['DetectionInputs', 'format_metrics', 'write_results']
