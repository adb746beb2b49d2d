"""Common pieces of the noise generators: the result type, validation and the type table.

Everything in ``mmnoisy.noise`` is plain numpy: no torch, no registry. A generator is a
function ``fn(labels, num_classes, **params) -> noisy_labels`` registered in
:data:`NOISE_TYPES` with :func:`register_noise`; :func:`apply_noise` validates the
config, calls it and measures what it did.
"""
import inspect
import json
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

import numpy as np

NOISE_TYPES: Dict[str, Callable] = {}

# Arguments that apply_noise hands to a generator when its signature asks for them.
# They describe the dataset, not the noise, so they never come from the config.
CONTEXT_ARGS = ('images', 'coarse_labels', 'num_samples')


class NoiseConfigError(ValueError):
    """A noise config or label file that cannot be used as given."""


def register_noise(*names):
    """Register a generator under one or more type names."""

    def wrap(fn):
        for name in names:
            if name in NOISE_TYPES:
                raise KeyError(f'noise type {name!r} registered twice')
            NOISE_TYPES[name] = fn
        return fn

    return wrap


@dataclass
class NoiseResult:
    """What a noise generator produced, with what it measurably did.

    Attributes:
        noisy_labels: int64 array (N,), the labels training sees.
        clean_labels: int64 array (N,) or None when the true labels are unknown
            (real-world noisy datasets).
        num_classes: number of classes C.
        noise_rate: realised fraction of samples whose label differs from the
            clean one (None when clean labels are unknown).
        transition_matrix: empirical (C, C) matrix, row i = distribution of the
            noisy label among samples whose clean label is i. Rows of classes
            with no sample are all zero. None when clean labels are unknown.
        settings: the config that produced the labels (JSON-serialisable).
    """
    noisy_labels: np.ndarray
    clean_labels: Optional[np.ndarray]
    num_classes: int
    settings: dict = field(default_factory=dict)
    noise_rate: Optional[float] = None
    transition_matrix: Optional[np.ndarray] = None

    def __post_init__(self):
        if self.clean_labels is not None:
            self.noise_rate = float(np.mean(self.noisy_labels != self.clean_labels)) \
                if len(self.clean_labels) else 0.0
            self.transition_matrix = empirical_transition_matrix(
                self.clean_labels, self.noisy_labels, self.num_classes)

    @property
    def is_noisy(self) -> Optional[np.ndarray]:
        if self.clean_labels is None:
            return None
        return self.noisy_labels != self.clean_labels

    def summary(self) -> dict:
        """A JSON-serialisable description (no per-sample arrays)."""
        out = dict(settings=self.settings, num_samples=int(len(self.noisy_labels)),
                   num_classes=int(self.num_classes),
                   noise_rate=self.noise_rate,
                   clean_labels_known=self.clean_labels is not None)
        if self.transition_matrix is not None:
            out['transition_matrix'] = np.round(self.transition_matrix, 6).tolist()
        return out

    def to_json(self) -> str:
        return json.dumps(self.summary(), indent=2)


def empirical_transition_matrix(clean, noisy, num_classes):
    """T[i, j] = P(noisy = j | clean = i), counted over the samples (one bincount)."""
    clean = np.asarray(clean, dtype=np.int64)
    noisy = np.asarray(noisy, dtype=np.int64)
    counts = np.bincount(clean * num_classes + noisy,
                         minlength=num_classes * num_classes).reshape(num_classes, num_classes)
    rows = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, rows, out=np.zeros(counts.shape, dtype=np.float64),
                     where=rows > 0)


def check_rate(rate, name='rate'):
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating, np.integer)):
        raise NoiseConfigError(f'noise {name} must be a number in [0, 1), got {rate!r}')
    if not 0 <= float(rate) < 1:
        raise NoiseConfigError(f'noise {name} must be in [0, 1), got {rate}')
    return float(rate)


def check_labels(labels, num_classes, what='labels'):
    """Return labels as int64 after checking they are integers in [0, num_classes)."""
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise NoiseConfigError(f'{what} must be one-dimensional, got shape {arr.shape}')
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        as_int = arr.astype(np.int64)
        if not np.array_equal(as_int, arr):
            raise NoiseConfigError(f'{what} must be integers, got dtype {arr.dtype}')
        arr = as_int
    arr = arr.astype(np.int64, copy=False)
    if arr.size:
        bad = (arr < 0) | (arr >= num_classes)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise NoiseConfigError(
                f'{what} must lie in [0, {num_classes}) for num_classes={num_classes}; '
                f'{int(bad.sum())} do not (first at index {first}: {int(arr[first])})')
    return arr


def choose_noisy(num_samples, rate, rng):
    """Indices of exactly round(rate * N) samples, drawn without replacement."""
    count = int(round(rate * num_samples))
    return rng.permutation(num_samples)[:count]


def apply_noise(cfg, clean_labels=None, num_classes=None, *, images=None,
                coarse_labels=None, num_samples=None) -> NoiseResult:
    """Corrupt labels as ``cfg`` says and measure the result.

    Args:
        cfg (dict): ``dict(type=..., **params)``; see :data:`NOISE_TYPES`.
        clean_labels: the dataset's labels, or None when unknown (label files only).
        num_classes (int): number of classes C.
        images: (N, ...) array, for instance-dependent noise.
        coarse_labels: (N,) superclass of each sample, for superclass noise.
        num_samples: N when ``clean_labels`` is None.
    """
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise NoiseConfigError(f"noise config must be a dict with a 'type', got {cfg!r}")
    params = dict(cfg)
    noise_type = params.pop('type')
    if noise_type not in NOISE_TYPES:
        raise NoiseConfigError(
            f'unknown noise type {noise_type!r}; known types: {sorted(NOISE_TYPES)}')
    if not isinstance(num_classes, (int, np.integer)) or num_classes < 2:
        raise NoiseConfigError(f'num_classes must be an integer >= 2, got {num_classes!r}')
    num_classes = int(num_classes)
    fn = NOISE_TYPES[noise_type]
    sig = inspect.signature(fn)
    accepted = [p for p in list(sig.parameters)[2:] if p not in CONTEXT_ARGS]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise NoiseConfigError(
            f'noise type {noise_type!r} does not take {unknown}; it takes {accepted}')
    missing = [p for p in accepted
               if sig.parameters[p].default is inspect.Parameter.empty and p not in params]
    if missing:
        raise NoiseConfigError(f'noise type {noise_type!r} needs {missing}')

    if clean_labels is not None:
        clean_labels = check_labels(clean_labels, num_classes, 'clean labels')
        num_samples = len(clean_labels)
    context = dict(images=images, coarse_labels=coarse_labels, num_samples=num_samples)
    for name in CONTEXT_ARGS:
        if name in sig.parameters:
            params[name] = context[name]
    noisy = fn(clean_labels, num_classes, **params)
    noisy = check_labels(noisy, num_classes, f'labels from noise type {noise_type!r}')
    if num_samples is not None and len(noisy) != num_samples:
        raise NoiseConfigError(
            f'noise type {noise_type!r} gave {len(noisy)} labels for a dataset of '
            f'{num_samples} samples')
    settings = {'type': noise_type}
    settings.update({k: v for k, v in cfg.items() if k != 'type'})
    return NoiseResult(noisy_labels=noisy, clean_labels=clean_labels,
                       num_classes=num_classes, settings=_jsonable(settings))


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)
