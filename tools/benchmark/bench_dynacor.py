"""Benchmarks of DynaCor (issue 8).

encoder: the encoder stage (``fit_dynacor``: 15 epochs, batch 1024, the paper's encoder) on
    synthetic dynamics, one thread, for several numbers of sequences; prints seconds and the
    ratio to the smallest N (linear scaling = ratio of N).
        OMP_NUM_THREADS=1 python tools/benchmark/bench_dynacor.py encoder --rows 55000 550000
    ``--kind random`` draws every sign independently (no two rows alike: the worst case for
    the deduplication); ``--kind learned`` simulates dynamics of a trained network (a row is
    -1 until the epoch its label is learned, then +1, with 3% of the epochs flipped).
recording: the cost of recording the dynamics online, relative to a plain CE training epoch.
detection: detection F1 of DynaCor and the baselines on the shared CIFAR-10 subset.
"""
import argparse
import json
import os
import sys
import time

import numpy as np


def synthetic_dynamics(rows, length, kind, noise_rate=0.4, copy_rate=0.1, seed=0):
    rng = np.random.default_rng(seed)
    n_orig = int(round(rows / (1 + copy_rate)))
    n_copy = rows - n_orig
    is_copy = np.r_[np.zeros(n_orig, bool), np.ones(n_copy, bool)]
    source = np.r_[np.arange(n_orig), rng.choice(n_orig, n_copy, replace=False)]
    noisy = (rng.random(rows) < noise_rate) | is_copy
    if kind == 'random':
        dyn = np.where(rng.random((rows, length)) < np.where(noisy, 0.3, 0.8)[:, None], 1, -1)
    else:
        learned = np.where(noisy, rng.integers(length // 3, length, rows),
                           rng.geometric(0.3, rows))
        dyn = np.where(np.arange(length)[None] >= learned[:, None], 1, -1)
        dyn = np.where(rng.random((rows, length)) < 0.03, -dyn, dyn)
    return dyn.astype(np.int8), is_copy, source, noisy


def bench_encoder(args):
    import torch
    from mmnoisy.detection import detection_metrics, fit_dynacor
    torch.set_num_threads(args.threads)
    out = []
    for rows in args.rows:
        dyn, is_copy, source, noisy = synthetic_dynamics(rows, args.length, args.kind)
        t0 = time.perf_counter()
        res = fit_dynacor(dyn, is_copy, source_idx=source, epochs=args.epochs,
                          batch_size=args.batch_size, dedupe=not args.no_dedupe)
        sec = time.perf_counter() - t0
        f1 = detection_metrics(res.flags[~is_copy], noisy[~is_copy])['f1']
        out.append(dict(rows=rows, seconds=round(sec, 1), unique_rows=res.unique_rows,
                        f1=round(f1, 4) if f1 is not None else None))
        print(json.dumps(out[-1]), flush=True)
    base = out[0]
    for o in out[1:]:
        print(f"N={o['rows']}: {o['seconds'] / base['seconds']:.2f}x the time of "
              f"N={base['rows']} for {o['rows'] / base['rows']:.1f}x the rows")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='mode', required=True)
    enc = sub.add_parser('encoder')
    enc.add_argument('--rows', type=int, nargs='+', default=[55000, 550000])
    enc.add_argument('--length', type=int, default=100)
    enc.add_argument('--epochs', type=int, default=15)
    enc.add_argument('--batch-size', type=int, default=1024)
    enc.add_argument('--kind', choices=['learned', 'random'], default='learned')
    enc.add_argument('--no-dedupe', action='store_true')
    enc.add_argument('--threads', type=int, default=1)
    args = parser.parse_args(argv)
    if args.mode == 'encoder':
        bench_encoder(args)


if __name__ == '__main__':
    sys.exit(main())
