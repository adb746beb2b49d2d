"""``NoisyLabelDetectionHook``: finds the mislabelled training samples of a run.

It reads the per-sample record (``SampleRecordHook``; DynaCor needs the quantised dynamics
``margin_sign`` of every epoch) and, at the end of training (and every ``interval`` epochs),
runs the detectors asked for (:data:`mmnoisy.detection.DETECTORS`: 'dynacor', 'aum',
'avg_encoder', 'gmm', 'cl', 'iam'; 'dynacor' and 'aum' need the corrupted copies of
``CorruptedCopyDataset``).

Means over epochs are kept as running sums (the record itself need only keep the last epoch
of ``margin``, ``loss`` and ``prob``) and HMW's IAM as a running integral: columns of the
record (:class:`~mmnoisy.engine.sample_record.RunningMean`, ``RunningIAM``), saved with it in
checkpoints and restored by ``--resume``.

For each method it writes ``{work_dir}/{out_dir}/{method}_suspects.csv`` (sample_index,
given_label, score, flag; the originals only, in dataset order) and ``summary.json``, logs the
number flagged and, when the clean labels are known, precision / recall / F1 (mislabelled =
positive) and AUROC. Files are written atomically by rank 0.
"""
import os.path as osp
import time

import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmnoisy.detection.detectors import DETECTORS, check_methods, required_signals, run_detectors
from mmnoisy.detection.files import DetectionInputs, format_metrics, write_results
from mmnoisy.engine.sample_record import RunningIAM, RunningMean
from mmnoisy.engine.utils import built_loop, unwrap
from mmnoisy.models.interfaces import RecordsSamples, TakesSampleWeights
from mmnoisy.registry import HOOKS
# the DetectionInputs fields that are means over epochs of a recorded signal
MEAN_OF = {'mean_margin': 'margin', 'mean_loss': 'loss', 'mean_prob': 'prob'}
MEAN_SIGNALS = tuple(MEAN_OF.values())


@HOOKS.register_module()
class NoisyLabelDetectionHook(Hook):
    """Args:
        methods (list[str]): detectors to run (keys of :data:`mmnoisy.detection.DETECTORS`).
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
        self.means, self.iam = {}, None
        self.record = None
        self.results = {}

    # setup -------------------------------------------------------------------------------
    def before_run(self, runner):
        loop = built_loop(runner, 'train')
        if loop is None:
            return
        model = unwrap(runner.model)
        if not isinstance(model, RecordsSamples):
            raise TypeError(f'noisy-label detection reads the per-sample record, which '
                            f'{type(model).__name__} cannot keep')
        record = model.sample_record
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
        is_copy = record.info.is_copy
        if is_copy is None and any(DETECTORS[m].needs_copies for m in self.methods):
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
                self.means[s] = record.column(RunningMean(n, self.net, s, width))
        if 'iam' in self.methods:
            self.iam = record.column(RunningIAM(
                n, runner.max_epochs, self.net, ('prob_margin', 'prob_topk_margin'),
                self.iam_cfg['alpha'], self.iam_cfg['beta'], anneal=self.iam_cfg['anneal']))
        if is_copy is not None and self.copy_loss == 'eq2':
            if not isinstance(model, TakesSampleWeights):
                raise TypeError("copy_loss='eq2' weights the loss of a NoisyClassifier; use "
                                f"copy_loss='concat' with {type(model).__name__}")
            n_orig, n_copy = int((~is_copy).sum()), int(is_copy.sum())
            w = np.where(is_copy, n / (2 * n_copy), n / (2 * n_orig))
            model.sample_weights = torch.as_tensor(w, dtype=torch.float32)
            runner.logger.info(f'DynaCor Eq. 2: loss weight {w[0]:.3f} for the {n_orig} '
                               f'originals and {w[-1]:.3f} for the {n_copy} copies')

    # accumulation ------------------------------------------------------------------------
    def _accumulate(self):
        for column in list(self.means.values()) + ([self.iam] if self.iam is not None else []):
            column.update(self.record)

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
        return self.means[signal].value()

    # detection ---------------------------------------------------------------------------
    def _input(self, field):
        """The DetectionInputs ``field`` from what the record and the running sums hold."""
        if field in MEAN_OF:
            return self.mean(MEAN_OF[field])
        if field == 'dynamics':
            epochs = self.record.recorded_epochs(self.net, 'margin_sign')
            if not epochs:
                raise RuntimeError('detection asked before any dynamics were recorded')
            return self.record.get(self.net, 'margin_sign', len(epochs)).T
        if field == 'iam':
            if not self.iam.epochs:
                raise RuntimeError('detection asked before any HMW slice was recorded')
            return self.iam.value().numpy()
        raise KeyError(f'no DetectionInputs field {field!r}')

    def detect(self, runner, tag='final'):
        """Run every method; returns {method: dict(scores, flags, metrics)} (rank 0)."""
        if not is_main_process():
            return None
        info = self.record.info
        labels, clean, is_copy = info.labels, info.clean_labels, info.is_copy
        n = self.record.num_samples
        if labels is None:  # a training set without NoisyLabelDataset: its own labels
            labels = np.asarray(runner.train_dataloader.dataset.get_gt_labels(), np.int64)
        is_copy = np.zeros(n, bool) if is_copy is None else is_copy
        orig = ~is_copy
        is_noisy = None if clean is None else (labels != clean)[orig]
        inputs = DetectionInputs(labels=labels, is_copy=is_copy, source_idx=info.source_idx)
        for field in dict.fromkeys(DETECTORS[m].reads for m in self.methods):
            setattr(inputs, field, self._input(field))

        started = time.time()

        def progress(epoch, total, metric, loss):
            eta = (time.time() - started) / epoch * (total - epoch)
            runner.logger.info(f'DynaCor encoder epoch {epoch}/{total}: validation metric '
                               f'{metric:.3e}, loss {loss:.4f}, ETA {eta:.0f} s')

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


__all__ = ['NoisyLabelDetectionHook']
