"""Labels given by a file: saved noise of an earlier run, CIFAR-10N/100N, or .npy/.csv files."""
import csv
import io
import json
import os.path as osp
import warnings

import numpy as np

from mmnoisy.utils.io import atomic_write

from .base import NoiseConfigError, NoiseResult, register_noise

# CIFAR-N label sets: short names users type -> keys of the official *_human.pt files.
CIFARN_KEYS = {
    'aggre': 'aggre_label', 'worst': 'worse_label', 'worse': 'worse_label',
    'rand1': 'random_label1', 'rand2': 'random_label2', 'rand3': 'random_label3',
    'noisy': 'noisy_label', 'noisy_fine': 'noisy_label',
    'noisy_coarse': 'noisy_coarse_label', 'clean': 'clean_label',
}
NOISE_FILE_KEY = 'noisy_labels'


def _load_torch_dict(path):
    # CIFAR-N files are dicts of numpy arrays saved with torch.save: load them without
    # running arbitrary pickled code.
    from mmnoisy.compat import safe_torch_load
    obj = safe_torch_load(path)
    if not isinstance(obj, dict):
        raise NoiseConfigError(f'{path} holds a {type(obj).__name__}, expected a dict of '
                               'label arrays')
    return obj


def _read_csv(path, key):
    with open(path, newline='') as f:
        rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    if not rows:
        raise NoiseConfigError(f'label file {path} is empty')
    header = None
    try:
        float(rows[0][-1])
    except ValueError:
        header, rows = [c.strip() for c in rows[0]], rows[1:]
    if header is None:
        col = len(rows[0]) - 1
        index_col = 0 if len(rows[0]) == 2 else None
    else:
        wanted = key or next((c for c in ('noisy_label', 'label') if c in header), None)
        if wanted not in header:
            raise NoiseConfigError(f'label file {path} has columns {header}; name the label '
                                   "column with key='...'")
        col = header.index(wanted)
        index_col = next((header.index(c) for c in ('sample_idx', 'index', 'idx')
                          if c in header), None)
    try:
        labels = np.array([float(r[col]) for r in rows])
        order = None if index_col is None else np.array([int(r[index_col]) for r in rows])
    except (ValueError, IndexError) as err:
        raise NoiseConfigError(f'label file {path}: unreadable row ({err})') from None
    if order is not None:
        if not np.array_equal(np.sort(order), np.arange(len(order))):
            raise NoiseConfigError(f'label file {path}: the index column is not a '
                                   f'permutation of 0..{len(order) - 1}')
        out = np.empty_like(labels)
        out[order] = labels
        labels = out
    return labels


def read_label_array(path, key=None):
    """Read one label array from .npy, .npz, .csv/.txt or .pt/.pth (dict, selected by key)."""
    if not osp.isfile(path):
        raise NoiseConfigError(f'label file not found: {path}')
    ext = osp.splitext(path)[1].lower()
    if ext == '.npy':
        return np.load(path, allow_pickle=False)
    if ext in ('.csv', '.txt'):
        return _read_csv(path, key)
    if ext == '.npz':
        with np.load(path, allow_pickle=False) as data:
            content = {k: data[k] for k in data.files}
        key = key or NOISE_FILE_KEY
    elif ext in ('.pt', '.pth'):
        content = _load_torch_dict(path)
    else:
        raise NoiseConfigError(f'label file {path}: unsupported extension {ext!r} '
                               '(use .npy, .npz, .csv, .txt, .pt or .pth)')
    if key not in content:
        raise NoiseConfigError(f'label file {path} has no key {key!r}; keys: {sorted(content)}')
    return np.asarray(content[key])


# keys under which a label file may hold the true labels it was made for: ours, CIFAR-N's
CLEAN_KEYS = ('clean_labels', 'clean_label')


def _check_clean(path, content, labels):
    """Check the file's clean labels (the first of ``CLEAN_KEYS`` it has) against the
    dataset's; a warning when it has none, since nothing could be checked."""
    key = next((k for k in CLEAN_KEYS if k in content), None)
    if labels is None:
        return
    if key is None:
        warnings.warn(f'label file {path} has no clean labels (keys {sorted(content)}; looked '
                      f'for {" or ".join(CLEAN_KEYS)}): not checked against the dataset')
        return
    file_clean = np.asarray(content[key]).astype(np.int64)
    if len(file_clean) != len(labels) or not np.array_equal(file_clean, labels):
        mismatch = (len(file_clean) != len(labels)) or int(np.sum(file_clean != labels))
        raise NoiseConfigError(
            f'label file {path} was made for other data: its clean labels (key {key!r}) do '
            f"not match the dataset's "
            f"({'different length' if mismatch is True else f'{mismatch} differ'}); "
            'is it for another dataset, split or sample order?')


def _check_length(path, noisy, labels, num_samples):
    expected = len(labels) if labels is not None else num_samples
    if expected is not None and len(noisy) != expected:
        raise NoiseConfigError(f'label file {path} has {len(noisy)} labels but the dataset '
                               f'has {expected} samples')


@register_noise('file')
def label_file(labels, num_classes, path, key=None, num_samples=None):
    """Labels from a file. For the ``.npz`` a run writes, the same noise is reproduced
    exactly, and its stored clean labels are checked against the dataset's."""
    noisy = read_label_array(path, key)
    _check_length(path, noisy, labels, num_samples)
    if osp.splitext(path)[1].lower() == '.npz':
        with np.load(path, allow_pickle=False) as data:
            _check_clean(path, {k: data[k] for k in data.files}, labels)
    return noisy


@register_noise('cifarn')
def cifar_n(labels, num_classes, path, label='aggre', num_samples=None):
    """CIFAR-10N / CIFAR-100N human labels from the official CIFAR-10_human.pt /
    CIFAR-100_human.pt (``label`` is a short name such as 'aggre', 'worst', 'rand1',
    'noisy', or a key of the file). The file's clean labels must equal the dataset's."""
    content = _load_torch_dict(path) if osp.isfile(path) else None
    if content is None:
        raise NoiseConfigError(
            f'CIFAR-N label file not found: {path}. Get CIFAR-10_human.pt / '
            'CIFAR-100_human.pt from the CIFAR-N release (github.com/UCSC-REAL/cifar-10-100n)')
    key = CIFARN_KEYS.get(label, label)
    if key not in content:
        raise NoiseConfigError(f'{path} has no label set {label!r}; it has {sorted(content)}')
    noisy = np.asarray(content[key])
    _check_length(path, noisy, labels, num_samples)
    _check_clean(path, content, labels)
    return noisy


def save_noise(result: NoiseResult, path: str):
    """Write the labels and statistics to ``path`` (.npz), atomically, plus a .json summary.

    The .npz can be given back as ``noise=dict(type='file', path=...)`` to train on exactly
    the same labels.
    """
    arrays = {NOISE_FILE_KEY: result.noisy_labels,
              'num_classes': np.int64(result.num_classes),
              'settings_json': np.array(json.dumps(result.settings))}
    if result.clean_labels is not None:
        arrays.update(clean_labels=result.clean_labels,
                      noise_rate=np.float64(result.noise_rate),
                      transition_matrix=result.transition_matrix)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write(path, buf.getvalue())
    atomic_write(osp.splitext(path)[0] + '.json', result.to_json().encode())
