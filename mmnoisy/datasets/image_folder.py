"""A user's labelled images, read from a folder: which files, which labels, which classes.

Two layouts, as mmpretrain's ``CustomDataset`` reads them, plus a CSV:

* class per sub-folder: ``ROOT/CLASS/.../IMAGE`` (the label is the top folder);
* an annotation file, relative to ``ROOT``: mmpretrain's list format, one ``path label`` per
  line (label an index), or a CSV ``filename,label`` (a header row is allowed; labels are
  class names or indices).

:func:`scan_image_folder` finds the images, checks them and says in one line what is wrong
(an empty folder, one class only, labels that are not classes, a file named twice, ...);
unreadable images are skipped and listed, never fatal. :func:`write_list_file` writes the
result in mmpretrain's list format for ``CustomDataset(ann_file=...)``.
"""
import csv
import dataclasses
from collections import Counter
import os
import os.path as osp
from concurrent.futures import ThreadPoolExecutor
from typing import List, Tuple

import numpy as np

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')


@dataclasses.dataclass
class ImageFolderScan:
    """What :func:`scan_image_folder` found.

    Attributes:
        root: the data root; ``filenames`` are relative to it.
        filenames: (N,) the readable images, in a fixed order (sorted per class folder, or
            the annotation file's order).
        labels: (N,) int64, the given label of each.
        classes: the class names, index = label.
        skipped: [(filename, reason)] of the images that could not be read.
        sizes: (N, 2) int, (height, width) of each image.
        empty_classes: class folders without an image (left out of ``classes``).
    """
    root: str
    filenames: List[str]
    labels: np.ndarray
    classes: Tuple[str, ...]
    skipped: List[Tuple[str, str]]
    sizes: np.ndarray
    empty_classes: List[str] = dataclasses.field(default_factory=list)

    def __len__(self):
        return len(self.filenames)

    def class_counts(self):
        return np.bincount(self.labels, minlength=len(self.classes))


def _is_image(name):
    return name.lower().endswith(IMG_EXTENSIONS)


def _subfolders(root):
    return sorted(d for d in os.listdir(root) if osp.isdir(osp.join(root, d)) and
                  not d.startswith('.'))


def _from_folders(root):
    """Images of the class sub-folders (any depth below them); classes without images are
    left out and named."""
    per_class = []
    for name in _subfolders(root):
        found = []
        for dirpath, dirnames, names in os.walk(osp.join(root, name)):
            dirnames.sort()
            found += [osp.relpath(osp.join(dirpath, f), root) for f in sorted(names)
                      if _is_image(f) and not f.startswith('.')]
        per_class.append((name, found))
    kept = [(name, found) for name, found in per_class if found]
    if not kept:
        loose = [f for f in os.listdir(root) if _is_image(f)]
        hint = (f' ({len(loose)} images lie directly in it: put each class in its own '
                'sub-folder, or give --ann-file)') if loose else ''
        raise ValueError(f'no images in class sub-folders of {root}{hint}')
    files = [f for _, found in kept for f in found]
    labels = [k for k, (_, found) in enumerate(kept) for _ in found]
    empty = [name for name, found in per_class if not found]
    return files, labels, [name for name, _ in kept], empty


def _read_annotations(path):
    """[(filename, label string)] of a list file (``path label``) or a CSV."""
    rows = []
    with open(path, newline='') as f:
        text = f.read()
    if path.lower().endswith('.csv'):
        reader = list(csv.reader(text.splitlines()))
        if reader and len(reader[0]) >= 2 and reader[0][0].strip().lower() in (
                'filename', 'file', 'path', 'image', 'img_path'):
            reader = reader[1:]  # header
        for n, row in enumerate(reader, 1):
            if not row or not ''.join(row).strip():
                continue
            if len(row) != 2:
                raise ValueError(f'{path}: row {n} has {len(row)} fields; expected '
                                 '"filename,label"')
            rows.append((row[0].strip(), row[1].strip()))
        return rows
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.rsplit(maxsplit=1)
        if len(parts) != 2:
            raise ValueError(f'{path}: line {n} is not "path label": {line!r}')
        rows.append((parts[0], parts[1]))
    return rows


def _from_annotations(root, ann_file):
    path = ann_file if osp.isabs(ann_file) or osp.isfile(ann_file) else osp.join(root, ann_file)
    if not osp.isfile(path):
        raise FileNotFoundError(f'annotation file not found: {ann_file}')
    rows = _read_annotations(path)
    if not rows:
        raise ValueError(f'{path} lists no images')
    files = [r[0] for r in rows]
    twice = [f for f, n in Counter(files).items() if n > 1]
    if twice:
        raise ValueError(f'{path} names {len(twice)} file(s) more than once, e.g. '
                         f'{twice[0]!r}: one label per image')
    raw = [r[1] for r in rows]
    folders = _subfolders(root)
    if all(v.lstrip('-').isdigit() for v in raw):
        labels = [int(v) for v in raw]
        if min(labels) < 0:
            raise ValueError(f'{path}: negative label {min(labels)}')
        k = max(labels) + 1
        # folders named like the classes give the names; else the indices are the names
        classes = folders if len(folders) == k and _folders_match(files, labels, folders) \
            else [str(i) for i in range(k)]
    else:
        names = sorted(set(raw))
        # labels that are names, next to class folders: every label must be one of them
        if folders and set(names) - set(folders) and set(folders) & set(names):
            unknown = sorted(set(names) - set(folders))
            raise ValueError(f'{path}: labels {unknown[:5]} are not class folders of {root} '
                             f'(folders: {folders[:10]})')
        classes = names
        index = {c: i for i, c in enumerate(classes)}
        labels = [index[v] for v in raw]
    return files, labels, classes, []


def _folders_match(files, labels, folders):
    """Whether every file lies in the folder of its label (then the folders name the classes)."""
    return all(f.replace('\\', '/').split('/')[0] == folders[k] for f, k in zip(files, labels))


def _check_image(path):
    """(height, width) of an image the training pipeline can decode (mmcv, as
    ``LoadImageFromFile``), or the reason it cannot."""
    import mmcv
    try:
        with open(path, 'rb') as f:
            img = mmcv.imfrombytes(f.read(), flag='color')
    except Exception as err:  # an empty file, a read error: cv2 and the OS raise many kinds
        return f'{type(err).__name__}: {err}'.splitlines()[0][:200]
    if img is None:
        return 'not an image the decoder can read'
    return int(img.shape[0]), int(img.shape[1])


def scan_image_folder(data_root, ann_file=None, *, workers=8, progress=None):
    """Find and check the labelled images of ``data_root`` (see the module docstring).

    Returns an :class:`ImageFolderScan`. Raises ValueError / FileNotFoundError with a one-line
    message naming the folder or file when the data cannot be used: no such folder, no
    images, fewer than two classes with images, annotation rows that are not
    ``path label``, labels that are not class folders, a file named twice, files listed
    that do not exist (listed, with the count). ``progress(done, total)`` is called about
    twenty times while the images are opened.
    """
    root = str(data_root)
    if not osp.isdir(root):
        raise FileNotFoundError(f'image folder not found: {root}')
    if ann_file:
        files, labels, classes, empty = _from_annotations(root, ann_file)
        missing = [f for f in files if not osp.isfile(osp.join(root, f))]
        if missing:
            raise FileNotFoundError(f'{len(missing)} file(s) listed in {ann_file} are not under '
                                    f'{root}, e.g. {missing[0]!r}')
    else:
        files, labels, classes, empty = _from_folders(root)
    labels = np.asarray(labels, np.int64)
    checked, step = [], max(1, len(files) // 20)
    with ThreadPoolExecutor(max(1, int(workers))) as pool:
        for result in pool.map(_check_image, [osp.join(root, f) for f in files]):
            checked.append(result)
            if progress is not None and (len(checked) % step == 0 or
                                         len(checked) == len(files)):
                progress(len(checked), len(files))
    ok = np.array([isinstance(c, tuple) for c in checked], bool)
    skipped = [(f, c) for f, c in zip(files, checked) if not isinstance(c, tuple)]
    files = [f for f, good in zip(files, ok) if good]
    labels = labels[ok]
    sizes = np.array([c for c in checked if isinstance(c, tuple)], np.int64).reshape(-1, 2)
    if not files:
        raise ValueError(f'none of the {len(skipped)} images of {root} could be read, e.g. '
                         f'{skipped[0][0]}: {skipped[0][1]}')
    present = np.unique(labels)
    if len(present) < 2:
        name = classes[int(present[0])]
        raise ValueError(f'{root} has images of one class only ({name!r}): finding label '
                         'errors needs at least two classes')
    return ImageFolderScan(root, files, labels, tuple(classes), skipped, sizes, empty)


def write_list_file(scan, path):
    """``scan`` in mmpretrain's list format (``path label`` per line), for
    ``CustomDataset(data_root=scan.root, ann_file=path)``. File names with spaces are kept
    (mmpretrain splits on the last space)."""
    with open(path, 'w') as f:
        for name, label in zip(scan.filenames, scan.labels):
            f.write(f'{name} {int(label)}\n')
    return path


__all__ = ['ImageFolderScan', 'scan_image_folder', 'write_list_file', 'IMG_EXTENSIONS']
