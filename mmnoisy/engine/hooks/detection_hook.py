"""``NoisyLabelDetectionHook``: finds the mislabelled training samples of a run.

It reads the per-sample record (``SampleRecordHook``; DynaCor needs the quantised dynamics
``margin_sign`` of every epoch) and, at the end of training (and every ``interval`` epochs),
runs the detectors asked for:

- 'dynacor' (Kim et al. 2024): needs the corrupted copies of ``CorruptedCopyDataset``;
- 'aum' (Pleiss et al. 2020), the copies serving as threshold samples;
- 'avg_encoder': GMM on the mean logit difference;
- 'gmm': small-loss GMM on the mean loss;
- 'cl': confident learning (cleanlab) on the mean softmax;
- 'iam': HMW's Integrated Area Margin weight split by a GMM.

Means over epochs are kept as running sums (the record itself need only keep the last epoch
of ``margin``, ``loss`` and ``prob``), saved in checkpoints and restored by ``--resume``.

For each method it writes ``{work_dir}/{out_dir}/{method}_suspects.csv`` (sample_index,
given_label, score, flag; the originals only, in dataset order) and ``summary.json``, logs the
number flagged and, when the clean labels are known, precision / recall / F1 (mislabelled =
positive) and AUROC. Files are written atomically by rank 0.
"""
import io
import json
import os.path as osp

import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmnoisy.datasets.corrupted_copy import find_corrupted_copies, training_label_info
from mmnoisy.detection import (aum_detect, avg_encoder_detect, confident_learning_detect,
                               describe_flags, detection_metrics, fit_dynacor, iam_detect,
                               small_loss_detect)
from mmnoisy.engine.hooks.gmm_confidence_hook import GMMConfidenceHook
from mmnoisy.engine.utils import built_loop, unwrap
from mmnoisy.registry import HOOKS
from mmnoisy.selection.hmw import IAMAccumulator, hm_slice
from mmnoisy.utils.io import atomic_write

CHECKPOINT_KEY = 'noisy_label_detection'

# method -> signals of the record it reads
METHOD_SIGNALS = {
    'dynacor': ('margin_sign', ),
    'aum': ('margin', ),
    'avg_encoder': ('margin', ),
    'gmm': ('loss', ),
    'cl': ('prob', ),
    'iam': ('prob_margin', 'prob_topk_margin'),
}
MEAN_SIGNALS = ('margin', 'loss', 'prob')


def required_signals(methods, max_epochs=None):
    """The ``signals`` a SampleRecordHook needs for ``methods``: {signal: history}."""
    out = {}
    for m in methods:
        for s in METHOD_SIGNALS[m]:
            out[s] = None if s == 'margin_sign' else 1
    return out


def check_methods(methods):
    methods = [methods] if isinstance(methods, str) else list(methods)
    unknown = [m for m in methods if m not in METHOD_SIGNALS]
    if unknown or not methods:
        raise ValueError(f'unknown detection methods {unknown}; known: {list(METHOD_SIGNALS)}')
    return methods


@HOOKS.register_module()
class NoisyLabelDetectionHook(Hook):
    """Args:
        methods (list[str]): detectors to run (keys of :data:`METHOD_SIGNALS`).
        interval (int): also detect every ``interval`` epochs (0: only after training).
        net (str): the recorded network.
        dynacor (dict): keyword arguments of :func:`mmnoisy.detection.fit_dynacor` (alpha,
            epochs, batch_size, lr, weight_decay, distance, metric_rows, seed, ...).
        aum_percentile (float): AUM flags below this percentile of the threshold samples.
        cl_filter_by (str): cleanlab's ``filter_by``.
        copy_loss (str): 'eq2' weights the loss so that originals and copies count as the two
            means of the paper's Eq. 2 (each sample's loss times (N+M)/(2N) or (N+M)/(2M));
            'concat' leaves one mean over the concatenation (the authors' code, behind the
            published numbers). Needs a model with ``sample_weights`` (NoisyClassifier).
        iam (dict): alpha, beta of HMW's slice and anneal for 'iam'.
        out_dir (str): folder under the work dir for the files.
    """
    priority = 'NORMAL'  # after SampleRecordHook (ABOVE_NORMAL) has synced the epoch

    def __init__(self, methods=('dynacor', ), interval=0, net='net', dynacor=None,
                 aum_percentile=99.0, cl_filter_by='prune_by_noise_rate', copy_loss='eq2',
                 iam=None, out_dir='noisy_label_detection'):
        self.methods = check_methods(methods)
        if int(interval) < 0:
            raise ValueError(f'interval must be >= 0, got {interval}')
        if copy_loss not in ('eq2', 'concat'):
            raise ValueError(f"copy_loss must be 'eq2' or 'concat', got {copy_loss!r}")
        if not 0 <= aum_percentile <= 100:
            raise ValueError(f'aum_percentile must be in [0, 100], got {aum_percentile}')
        self.interval, self.net, self.copy_loss = int(interval), net, copy_loss
        self.dynacor = dict(dynacor or {})
        self.aum_percentile, self.cl_filter_by = float(aum_percentile), cl_filter_by
        self.iam_cfg = dict(dict(alpha=100.0, beta=100.0, anneal=True), **(iam or {}))
        self.out_dir = out_dir
        self.sums, self.counts, self.seen, self.iam = {}, {}, set(), None
        self.record = None
        self.results = {}

    # setup -------------------------------------------------------------------------------
    def before_run(self, runner):
        loop = built_loop(runner, 'train')
        if loop is None:
            return
        model = unwrap(runner.model)
        record = getattr(model, 'sample_record', None)
        need = required_signals(self.methods)
        missing = [s for s in need if record is None or s not in record.history]
        if missing:
            listed = ', '.join(f'{s}={need[s]}' for s in need)
            raise ValueError(f'noisy-label detection ({", ".join(self.methods)}) needs the '
                             f'per-sample record of {missing}: add dict(type='
                             f"'SampleRecordHook', mode='online', signals=dict({listed})) to "
                             'custom_hooks')
        if 'margin_sign' in need and record.history['margin_sign'] < runner.max_epochs:
            raise ValueError('DynaCor reads the dynamics of every epoch: record margin_sign '
                             'with history None')
        if self.net not in record.nets:
            raise ValueError(f'NoisyLabelDetectionHook(net={self.net!r}): the record has '
                             f'{list(record.nets)}')
        dataset = loop.dataloader.dataset
        copies = find_corrupted_copies(dataset)
        if copies is None and {'dynacor', 'aum'} & set(self.methods):
            raise ValueError("'dynacor' and 'aum' need the corrupted copies: wrap the training "
                             "set in dict(type='CorruptedCopyDataset', dataset=..., gamma=0.1)")
        classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
        if classes is not None and len(classes) < 2:
            raise ValueError('noisy-label detection needs a dataset with at least 2 classes')
        self.record = record
        n = record.num_samples
        for s in MEAN_SIGNALS:
            if s in need:
                width = record.num_classes if s == 'prob' else None
                self.sums[s] = np.zeros((n, width) if width else n, np.float64)
                self.counts[s] = np.zeros(n, np.int32)
        if 'iam' in self.methods:
            self.iam = IAMAccumulator(n, runner.max_epochs, self.iam_cfg['anneal'])
        if copies is not None and self.copy_loss == 'eq2':
            if not hasattr(model, 'sample_weights'):
                raise TypeError("copy_loss='eq2' weights the loss of a NoisyClassifier; use "
                                f"copy_loss='concat' with {type(model).__name__}")
            n_orig, n_copy = int((~copies.is_copy).sum()), copies.num_copies
            w = np.where(copies.is_copy, n / (2 * n_copy), n / (2 * n_orig))
            model.sample_weights = torch.as_tensor(w, dtype=torch.float32)
            runner.logger.info(f'DynaCor Eq. 2: loss weight {w[0]:.3f} for the {n_orig} '
                               f'originals and {w[-1]:.3f} for the {n_copy} copies')

    # accumulation ------------------------------------------------------------------------
    def _accumulate(self):
        rec = self.record
        for s in self.sums:
            for e in rec.recorded_epochs(self.net, s):
                if (s, e) in self.seen:
                    continue
                vals = rec.get_epoch(self.net, s, e).astype(np.float64)
                ok = np.isfinite(vals) if vals.ndim == 1 else np.isfinite(vals).all(axis=1)
                self.sums[s][ok] += vals[ok]
                self.counts[s][ok] += 1
                self.seen.add((s, e))
        if self.iam is not None:
            for e in rec.recorded_epochs(self.net, 'prob_margin'):
                if ('iam', e) in self.seen:
                    continue
                m, t = (rec.get_epoch(self.net, s, e) for s in ('prob_margin',
                                                                'prob_topk_margin'))
                self.iam.update(hm_slice(m, t, self.iam_cfg['alpha'], self.iam_cfg['beta']),
                                e + 1)
                self.seen.add(('iam', e))

    def after_train_epoch(self, runner):
        if self.record is None:
            return
        self._accumulate()
        if self.interval and (runner.epoch + 1) % self.interval == 0 and \
                runner.epoch + 1 < runner.max_epochs:
            self.detect(runner, tag=f'epoch_{runner.epoch + 1}')

    def after_train(self, runner):
        if self.record is None:
            return
        self._accumulate()
        self.detect(runner)

    def mean(self, signal):
        counts = self.counts[signal]
        if not counts.any():
            raise RuntimeError(f'detection asked before any {signal!r} was recorded')
        denom = np.maximum(counts, 1)
        return self.sums[signal] / (denom[:, None] if self.sums[signal].ndim == 2 else denom)

    # detection ---------------------------------------------------------------------------
    def detect(self, runner, tag='final'):
        """Run every method; returns {method: dict(scores, flags, metrics)} (rank 0)."""
        if not is_main_process():
            return None
        dataset = runner.train_dataloader.dataset
        labels, clean, is_copy = training_label_info(dataset)
        n = self.record.num_samples
        if labels is None:
            labels = np.asarray(dataset.get_gt_labels(), np.int64)
        is_copy = np.zeros(n, bool) if is_copy is None else is_copy
        orig = ~is_copy
        is_noisy = None if clean is None else (labels != clean)[orig]
        inputs = DetectionInputs(labels=labels, is_copy=is_copy,
                                 source_idx=getattr(find_corrupted_copies(dataset),
                                                    'source_idx', None))
        for m in self.methods:
            if m == 'dynacor':
                epochs = self.record.recorded_epochs(self.net, 'margin_sign')
                if not epochs:
                    raise RuntimeError('detection asked before any dynamics were recorded')
                inputs.dynamics = self.record.get(self.net, 'margin_sign', len(epochs)).T
            elif m in ('aum', 'avg_encoder'):
                inputs.mean_margin = self.mean('margin')
            elif m == 'gmm':
                inputs.mean_loss = self.mean('loss')
            elif m == 'cl':
                inputs.mean_prob = self.mean('prob')
            elif m == 'iam':
                if not self.iam.epochs:
                    raise RuntimeError('detection asked before any HMW slice was recorded')
                inputs.iam = self.iam.weights().numpy()

        def progress(epoch, total, metric, loss):
            runner.logger.info(f'DynaCor encoder epoch {epoch}/{total}: validation metric '
                               f'{metric:.3e}, loss {loss:.4f}')

        out = osp.join(runner.work_dir, self.out_dir if tag == 'final' else
                       osp.join(self.out_dir, tag))
        inputs.save(osp.join(out, 'inputs.npz'), clean)
        results = run_detectors(self.methods, inputs, is_noisy, dynacor=self.dynacor,
                                aum_percentile=self.aum_percentile,
                                cl_filter_by=self.cl_filter_by, progress=progress)
        write_results(out, results, labels[orig])
        for m, res in results.items():
            runner.logger.info(f'noisy-label detection ({tag}) {m}: ' + format_metrics(res))
            scalars = {f'detection/{m}/{k}': v for k, v in res['metrics'].items()
                       if isinstance(v, (int, float)) and v is not None}
            if scalars:
                runner.visualizer.add_scalars(scalars, step=runner.epoch + 1)
        runner.logger.info(f'suspects written to {out}')
        self.results = results
        return results

    # checkpoint --------------------------------------------------------------------------
    def before_save_checkpoint(self, runner, checkpoint):
        if self.record is None:
            return
        state = {'sums': {k: torch.from_numpy(v) for k, v in self.sums.items()},
                 'counts': {k: torch.from_numpy(v) for k, v in self.counts.items()},
                 'seen': sorted(self.seen)}
        if self.iam is not None:
            state['iam'] = self.iam.state_dict()
        checkpoint[CHECKPOINT_KEY] = state

    def after_load_checkpoint(self, runner, checkpoint):
        if self.record is None or not getattr(runner, '_resume', False):
            return
        if CHECKPOINT_KEY not in checkpoint:
            raise ValueError('resuming a detection run from a checkpoint without its running '
                             'means (noisy_label_detection)')
        state = checkpoint[CHECKPOINT_KEY]
        for k in self.sums:
            if k not in state['sums']:
                raise ValueError(f'the checkpoint has no running mean of {k!r}')
            self.sums[k] = state['sums'][k].numpy().copy()
            self.counts[k] = state['counts'][k].numpy().copy()
        self.seen = {tuple(x) for x in state['seen']}
        if self.iam is not None:
            self.iam.load_state_dict(state['iam'])


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
        have = {'dynacor': self.dynamics is not None and self.is_copy.any(),
                'aum': self.mean_margin is not None and self.is_copy.any(),
                'avg_encoder': self.mean_margin is not None,
                'gmm': self.mean_loss is not None, 'cl': self.mean_prob is not None,
                'iam': self.iam is not None}
        return [m for m, ok in have.items() if ok]

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


def run_detectors(methods, inputs, is_noisy=None, dynacor=None, aum_percentile=99.0,
                  cl_filter_by='prune_by_noise_rate', progress=None):
    """Scores and flags of the originals for each method, with metrics when ``is_noisy``
    (of the originals) is known."""
    orig = ~inputs.is_copy
    results = {}
    for m in check_methods(methods):
        extra = {}
        if m == 'dynacor':
            res = fit_dynacor(inputs.dynamics, inputs.is_copy, source_idx=inputs.source_idx,
                              progress=progress, **(dynacor or {}))
            scores, flags = res.scores[orig], res.flags[orig]
            extra = dict(best_epoch=res.best_epoch, metric=res.metric, loss=res.loss,
                         unique_rows=res.unique_rows)
        elif m == 'aum':
            if not inputs.is_copy.any():
                raise ValueError('AUM needs threshold samples: the corrupted copies')
            scores, flags = aum_detect(inputs.mean_margin[orig],
                                       inputs.mean_margin[inputs.is_copy], aum_percentile)
        elif m == 'avg_encoder':
            scores, flags = avg_encoder_detect(inputs.mean_margin[orig])
        elif m == 'gmm':
            scores, flags = small_loss_detect(inputs.mean_loss[orig])
        elif m == 'cl':
            scores, flags = confident_learning_detect(inputs.labels[orig],
                                                      inputs.mean_prob[orig], cl_filter_by)
        elif m == 'iam':
            scores, flags = iam_detect(inputs.iam[orig])
        metrics = dict(num_flagged=int(flags.sum()), num_samples=int(flags.size))
        if is_noisy is not None:
            metrics = detection_metrics(flags, is_noisy, scores)
        note = describe_flags(flags)
        if note:
            metrics['note'] = note
        results[m] = dict(scores=np.asarray(scores, np.float64), flags=np.asarray(flags, bool),
                          metrics=metrics, **extra)
    return results


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


__all__ = ['NoisyLabelDetectionHook', 'DynaCorSelectionHook', 'METHOD_SIGNALS', 'required_signals', 'run_detectors',
           'DetectionInputs', 'write_results', 'format_metrics']


@HOOKS.register_module()
class DynaCorSelectionHook(GMMConfidenceHook):
    """DDyna-S (DynaCor Sec. 5.5): a co-training learner (DivideMix) whose GMM split is replaced
    by DynaCor's detection. Before each epoch from ``begin_epoch`` the dynamics each network's
    record holds so far (``SampleRecordHook(signals=dict(margin_sign=None))``, e.g. in
    DivideMix's test-transform pass) are clustered by :func:`fit_dynacor`, and q_clean becomes
    the clean probability the peer trains with (``co_divide``), as the GMM's posterior would.
    The training set must hold DynaCor's corrupted copies (``CorruptedCopyDataset``); they
    train as ordinary samples, mostly as unlabelled ones.

    Args:
        begin_epoch, co_divide, threshold: as :class:`GMMConfidenceHook`.
        dynacor (dict): keyword arguments of :func:`fit_dynacor`.
    """
    method_name = 'DynaCor'

    def __init__(self, begin_epoch='warmup', co_divide=True, threshold=0.5, dynacor=None):
        super().__init__(signal='margin_sign', co_divide=co_divide, begin_epoch=begin_epoch,
                         threshold=threshold)
        self.dynacor = dict(dynacor or {})
        self.copies = None

    def before_run(self, runner):
        super().before_run(runner)
        loop = built_loop(runner, 'train')
        if loop is None:
            return
        self.copies = find_corrupted_copies(loop.dataloader.dataset)
        if self.copies is None:
            raise ValueError("DynaCorSelectionHook needs the corrupted copies: wrap the training "
                             "set in dict(type='CorruptedCopyDataset', dataset=..., gamma=0.1)")
        record = unwrap(runner.model).sample_record
        if record.history['margin_sign'] < runner.max_epochs:
            raise ValueError('DynaCorSelectionHook reads the dynamics of every epoch: record '
                             'margin_sign with history None')

    def clean_probability(self, runner, record, net, available):
        dyn = record.get(net, 'margin_sign', available).T
        res = fit_dynacor(dyn, self.copies.is_copy, source_idx=self.copies.source_idx,
                          **self.dynacor)
        return 1.0 - res.scores, dict(dynacor=dict(best_epoch=res.best_epoch,
                                                   dynamics_epochs=int(available),
                                                   flagged=int(res.flags.sum())))
