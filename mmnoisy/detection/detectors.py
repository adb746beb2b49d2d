"""The detectors by name, in one table: what each reads and how it runs.

:data:`DETECTORS` maps a method name to a :class:`Detector`: the per-sample record signals it
needs (``SampleRecordHook``), the field of :class:`~mmnoisy.detection.files.DetectionInputs`
it reads, whether it needs DynaCor's corrupted copies, and the function that scores the
originals. The hook, ``tools/detect_noisy_labels.py`` and the inputs file all read this table,
so a new detector is one entry here.
"""
from dataclasses import dataclass
from typing import Callable, Tuple

import numpy as np

from .baselines import (aum_detect, avg_encoder_detect, confident_learning_detect, iam_detect,
                        small_loss_detect)
from .dynacor import fit_dynacor
from .metrics import describe_flags, detection_metrics


@dataclass(frozen=True)
class Detector:
    """``score(inputs, orig, options) -> (scores, flags, extra)`` for the original rows."""
    score: Callable
    signals: Tuple[str, ...]   # what the per-sample record must keep
    reads: str                 # the DetectionInputs field
    needs_copies: bool = False  # the corrupted copies of CorruptedCopyDataset
    doc: str = ''


def _dynacor(inputs, orig, options):
    res = fit_dynacor(inputs.dynamics, inputs.is_copy, source_idx=inputs.source_idx,
                      progress=options['progress'], **(options['dynacor'] or {}))
    return res.scores[orig], res.flags[orig], dict(
        best_epoch=res.best_epoch, metric=res.metric, loss=res.loss,
        unique_rows=res.unique_rows)


def _aum(inputs, orig, options):
    if not inputs.is_copy.any():
        raise ValueError('AUM needs threshold samples: the corrupted copies')
    return (*aum_detect(inputs.mean_margin[orig], inputs.mean_margin[inputs.is_copy],
                        options['aum_percentile']), {})


def _avg_encoder(inputs, orig, options):
    return (*avg_encoder_detect(inputs.mean_margin[orig]), {})


def _gmm(inputs, orig, options):
    return (*small_loss_detect(inputs.mean_loss[orig]), {})


def _cl(inputs, orig, options):
    return (*confident_learning_detect(inputs.labels[orig], inputs.mean_prob[orig],
                                       options['cl_filter_by']), {})


def _iam(inputs, orig, options):
    return (*iam_detect(inputs.iam[orig]), {})


DETECTORS = {
    'dynacor': Detector(_dynacor, ('margin_sign', ), 'dynamics', True,
                        'DynaCor (Kim et al. 2024) on the quantised dynamics'),
    'aum': Detector(_aum, ('margin', ), 'mean_margin', True,
                    'AUM (Pleiss et al. 2020), the copies as threshold samples'),
    'avg_encoder': Detector(_avg_encoder, ('margin', ), 'mean_margin', False,
                            'GMM on the mean logit difference'),
    'gmm': Detector(_gmm, ('loss', ), 'mean_loss', False, 'small-loss GMM on the mean loss'),
    'cl': Detector(_cl, ('prob', ), 'mean_prob', False,
                   'confident learning (cleanlab) on the mean softmax'),
    'iam': Detector(_iam, ('prob_margin', 'prob_topk_margin'), 'iam', False,
                    "HMW's Integrated Area Margin weight split by a GMM"),
}


def check_methods(methods):
    """``methods`` (a name or a list) as a list of known detector names."""
    methods = [methods] if isinstance(methods, str) else list(methods)
    unknown = [m for m in methods if m not in DETECTORS]
    if unknown or not methods:
        raise ValueError(f'unknown detection methods {unknown}; known: {list(DETECTORS)}')
    return methods


def required_signals(methods):
    """The ``signals`` a SampleRecordHook needs for ``methods``: {signal: history}
    (DynaCor's dynamics: every epoch; the others: the last epoch, averaged as they come)."""
    out = {}
    for m in check_methods(methods):
        for s in DETECTORS[m].signals:
            out[s] = None if s == 'margin_sign' else 1
    return out


def run_detectors(methods, inputs, is_noisy=None, *, dynacor=None, aum_percentile=99.0,
                  cl_filter_by='prune_by_noise_rate', progress=None):
    """Scores and flags of the original rows for each method of ``methods``.

    Args:
        inputs (DetectionInputs): what the detectors read, every training row.
        is_noisy (array | None): truth of "mislabelled" for the originals; with it the
            metrics are precision / recall / F1 / AUROC, else the counts.
        dynacor (dict): keyword arguments of :func:`fit_dynacor`.
        aum_percentile (float): AUM flags below this percentile of the threshold samples.
        cl_filter_by (str): cleanlab's ``filter_by``.
        progress (callable): DynaCor's ``progress(epoch, total, metric, loss)``.

    Returns:
        {method: dict(scores, flags, metrics, **extra)}.
    """
    options = dict(dynacor=dynacor, aum_percentile=aum_percentile, cl_filter_by=cl_filter_by,
                   progress=progress)
    orig = ~inputs.is_copy
    results = {}
    for m in check_methods(methods):
        scores, flags, extra = DETECTORS[m].score(inputs, orig, options)
        metrics = dict(num_flagged=int(flags.sum()), num_samples=int(flags.size))
        if is_noisy is not None:
            metrics = detection_metrics(flags, is_noisy, scores)
        note = describe_flags(flags)
        if note:
            metrics['note'] = note
        results[m] = dict(scores=np.asarray(scores, np.float64), flags=np.asarray(flags, bool),
                          metrics=metrics, **extra)
    return results


__all__ = ['Detector', 'DETECTORS', 'check_methods', 'required_signals', 'run_detectors']
