"""How well does ``tools/detect_noisy_labels.py --data-root`` find planted label errors?

    python tools/benchmark/bench_label_errors.py make fashion OUT [--count 10000] [--rate 0.2]
    python tools/benchmark/bench_label_errors.py make digits OUT
    python tools/benchmark/bench_label_errors.py score OUT WORK_DIR

``make`` writes a folder of real images as PNG files, one sub-folder per class, with ``rate``
of them (drawn at random, seed 0) moved to the folder of another class drawn uniformly, and
``OUT/planted.csv`` (filename, true class, folder class). The digits are scikit-learn's 1,797
8x8 images; Fashion-MNIST (Debian's ``dataset-fashion-mnist``) its first COUNT test images,
28x28. ``score`` reads the detector's ``suspects.csv`` from WORK_DIR and prints precision,
recall and F1 of each detector's flags (mislabelled = positive) and the run's wall time, as
JSON (also written to ``WORK_DIR/planted_scores.json``).
"""
import argparse
import csv
import gzip
import json
import os
import os.path as osp
import sys

import numpy as np

FASHION = '/usr/share/datasets/fashion-mnist'
FASHION_CLASSES = ('t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt',
                   'sneaker', 'bag', 'ankle-boot')


def load_images(name, count=None):
    """(uint8 images (N, H, W), labels (N,), class names)."""
    if name == 'digits':
        from sklearn.datasets import load_digits
        d = load_digits()
        images = np.round(d.images * 255 / 16).astype(np.uint8)
        return images[:count], d.target[:count].astype(np.int64), tuple(
            f'digit-{k}' for k in range(10))
    if name == 'fashion':
        with gzip.open(osp.join(FASHION, 't10k-images-idx3-ubyte.gz')) as f:
            images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
        with gzip.open(osp.join(FASHION, 't10k-labels-idx1-ubyte.gz')) as f:
            labels = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
        return images[:count], labels[:count], FASHION_CLASSES
    raise ValueError(f"unknown image set {name!r}: 'digits' or 'fashion'")


def make_folder(name, out, count=None, rate=0.2, seed=0):
    """Write the images as ``out/CLASS/NNNNN.png`` with ``rate`` of them in a wrong class's
    folder; returns the planted table's path."""
    from PIL import Image
    images, labels, classes = load_images(name, count)
    rng = np.random.default_rng(seed)
    n, c = len(labels), len(classes)
    moved = np.zeros(n, bool)
    moved[rng.choice(n, int(round(rate * n)), replace=False)] = True
    given = labels.copy()
    given[moved] = (labels[moved] + rng.integers(1, c, int(moved.sum()))) % c
    for k in classes:
        os.makedirs(osp.join(out, k), exist_ok=True)
    rows = []
    for i in range(n):
        rel = osp.join(classes[given[i]], f'{i:05d}.png')
        Image.fromarray(images[i]).save(osp.join(out, rel))
        rows.append((rel, classes[labels[i]], classes[given[i]]))
    path = osp.join(out, 'planted.csv')
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(('filename', 'true_label', 'given_label'))
        w.writerows(rows)
    print(f'{n} images of {name} in {out}: {int(moved.sum())} ({rate:.0%}) in a wrong class '
          f'folder; truth in {path}')
    return path


def score(folder, work_dir):
    """Precision / recall / F1 of every detector's flags against ``planted.csv``."""
    with open(osp.join(folder, 'planted.csv')) as f:
        truth = {r['filename']: r['true_label'] != r['given_label'] for r in csv.DictReader(f)}
    with open(osp.join(work_dir, 'suspects.csv')) as f:
        rows = list(csv.DictReader(f))
    with open(osp.join(work_dir, 'summary.json')) as f:
        summary = json.load(f)
    noisy = np.array([truth[r['filename']] for r in rows])
    out = dict(images=len(rows), planted=int(noisy.sum()), detectors={},
               seconds=summary.get('seconds', {}), network=summary.get('network'),
               epochs=summary.get('epochs'))
    for m in summary['flagged']:
        flags = np.array([r[f'{m}_flag'] == '1' for r in rows])
        tp = int((flags & noisy).sum())
        p = tp / max(int(flags.sum()), 1)
        r = tp / max(int(noisy.sum()), 1)
        out['detectors'][m] = dict(flagged=int(flags.sum()), precision=round(p, 4),
                                   recall=round(r, 4),
                                   f1=round(2 * p * r / (p + r), 4) if p + r else 0.0)
    with open(osp.join(work_dir, 'planted_scores.json'), 'w') as f:
        json.dump(out, f, indent=1)
    print(json.dumps(out, indent=1))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='mode', required=True)
    mk = sub.add_parser('make')
    mk.add_argument('name', choices=['digits', 'fashion'])
    mk.add_argument('out')
    mk.add_argument('--count', type=int)
    mk.add_argument('--rate', type=float, default=0.2)
    mk.add_argument('--seed', type=int, default=0)
    sc = sub.add_parser('score')
    sc.add_argument('folder')
    sc.add_argument('work_dir')
    args = parser.parse_args(argv)
    if args.mode == 'make':
        make_folder(args.name, args.out, args.count, args.rate, args.seed)
    else:
        score(args.folder, args.work_dir)


if __name__ == '__main__':
    sys.exit(main())
