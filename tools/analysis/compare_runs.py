"""Are two runs the same? Weights, per-sample records, selections and detections, bit for bit.

    python tools/analysis/compare_runs.py WORK_DIR_A WORK_DIR_B
    python tools/analysis/compare_runs.py --demos --ref OTHER_CHECKOUT --work-dir DIR
        [--epochs 8] [--only ccl dividemix ...]

The first form compares two finished runs: the last checkpoint's ``state_dict`` (and
optimizer state), ``sample_record.npz``, ``noisy_labels.npz``, ``selection_quality.json`` and
the files under ``noisy_label_detection/``. The second trains every digits demo
(``configs/demo/*.py``) with this checkout's and with OTHER_CHECKOUT's ``tools/train.py``
(EPOCHS epochs each, one thread) into DIR/{this,ref}/NAME and compares each pair: the check
that a refactoring changed no behaviour. Exit status 1 when anything differs.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

FILES = ('sample_record.npz', 'noisy_labels.npz', 'selection_quality.json')


def last_checkpoint(work_dir):
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            path = f.read().strip()
        if osp.isfile(path):
            return path
        path = osp.join(work_dir, osp.basename(path))  # a moved work dir
        if osp.isfile(path):
            return path
    found = sorted(glob.glob(osp.join(work_dir, 'epoch_*.pth')),
                   key=lambda p: int(p.rsplit('_', 1)[1][:-4]))
    return found[-1] if found else None


def _same(a, b):
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and \
            all(_same(x, y) for x, y in zip(a, b))
    if hasattr(a, 'shape') and hasattr(a, 'dtype'):  # arrays
        if not (hasattr(b, 'shape') and hasattr(b, 'dtype')):
            return False
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and \
            np.array_equal(a, b, equal_nan=a.dtype.kind == 'f')
    return a == b or (a != a and b != b)  # NaN == NaN


def _tensors_to_numpy(obj):
    if isinstance(obj, dict):
        return {k: _tensors_to_numpy(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_tensors_to_numpy(v) for v in obj]
    return obj.detach().cpu().numpy() if hasattr(obj, 'detach') else obj


def compare(a, b):
    """{what: 'same' | 'differs: ...' | 'missing in A/B'} for the files of two work dirs."""
    from mmnoisy.compat import safe_torch_load
    out = {}
    ca, cb = last_checkpoint(a), last_checkpoint(b)
    if ca is None or cb is None:
        out['checkpoint'] = 'missing in ' + ('A' if ca is None else 'B')
    else:
        ka, kb = safe_torch_load(ca), safe_torch_load(cb)
        for part in ('state_dict', 'optimizer'):
            if part not in ka and part not in kb:
                continue
            pa, pb = (_tensors_to_numpy(k.get(part)) for k in (ka, kb))
            bad = []
            if part == 'state_dict':
                bad = sorted(k for k in set(pa) | set(pb)
                             if k not in pa or k not in pb or not _same(pa[k], pb[k]))
            elif not _same(pa, pb):
                bad = ['(state)']
            out[f'{osp.basename(ca)} {part}'] = \
                'same' if not bad else f'differs: {", ".join(bad[:5])}'
    names = list(FILES) + sorted(
        {osp.relpath(p, d) for d in (a, b)
         for p in glob.glob(osp.join(d, 'noisy_label_detection', '**', '*'), recursive=True)
         if osp.isfile(p) and not p.endswith('.png')})
    for name in names:
        pa, pb = osp.join(a, name), osp.join(b, name)
        if not osp.isfile(pa) and not osp.isfile(pb):
            continue
        if not (osp.isfile(pa) and osp.isfile(pb)):
            out[name] = 'missing in ' + ('A' if not osp.isfile(pa) else 'B')
        elif name.endswith('.npz'):
            with np.load(pa) as fa, np.load(pb) as fb:
                bad = sorted(k for k in set(fa.files) | set(fb.files)
                             if k not in fa.files or k not in fb.files or
                             not _same(fa[k], fb[k]))
            out[name] = 'same' if not bad else f'differs: {", ".join(bad[:5])}'
        elif name.endswith('.json'):
            with open(pa) as fa, open(pb) as fb:
                out[name] = 'same' if _same(json.load(fa), json.load(fb)) else 'differs'
        else:
            with open(pa, 'rb') as fa, open(pb, 'rb') as fb:
                out[name] = 'same' if fa.read() == fb.read() else 'differs'
    return out


def train(checkout, config, work_dir, epochs):
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    cmd = [sys.executable, osp.join(checkout, 'tools/train.py'), osp.join(checkout, config),
           '--work-dir', work_dir, '--cfg-options', f'train_cfg.max_epochs={epochs}']
    proc = subprocess.run(cmd, cwd=checkout, env=env, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f'{config} failed in {checkout}:\n{proc.stderr[-3000:]}')


def demos(args):
    configs = sorted(osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'configs/demo/*.py'))
                     if not osp.basename(p).startswith('_'))
    if args.only:
        configs = [c for c in configs if any(osp.basename(c).startswith(o) for o in args.only)]
    ok = True
    for config in configs:
        name = osp.splitext(osp.basename(config))[0]
        dirs = {}
        for side, checkout in (('this', ROOT), ('ref', osp.abspath(args.ref))):
            dirs[side] = osp.join(osp.abspath(args.work_dir), side, name)
            if last_checkpoint(dirs[side]) is None:
                train(checkout, config, dirs[side], args.epochs)
        result = compare(dirs['ref'], dirs['this'])
        same = all(v == 'same' for v in result.values())
        ok &= same
        print(f'{name}: ' + ('identical (' + ', '.join(result) + ')' if same else
                             '; '.join(f'{k} {v}' for k, v in result.items() if v != 'same')),
              flush=True)
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('dirs', nargs='*', help='two work dirs to compare')
    parser.add_argument('--demos', action='store_true',
                        help='train every digits demo here and in --ref, then compare')
    parser.add_argument('--ref', help='the other checkout (--demos)')
    parser.add_argument('--work-dir', default='work_dirs/compare_runs')
    parser.add_argument('--epochs', type=int, default=8)
    parser.add_argument('--only', nargs='+', help='demo config names starting with these')
    args = parser.parse_args(argv)
    if args.demos:
        if not args.ref:
            parser.error('--demos needs --ref OTHER_CHECKOUT')
        return 0 if demos(args) else 1
    if len(args.dirs) != 2:
        parser.error('give two work dirs, or --demos --ref CHECKOUT')
    result = compare(*args.dirs)
    for k, v in result.items():
        print(f'{k}: {v}')
    return 0 if all(v == 'same' for v in result.values()) else 1


if __name__ == '__main__':
    sys.exit(main())
