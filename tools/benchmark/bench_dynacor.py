"""Benchmarks of DynaCor (issue 8).

encoder: the encoder stage (``fit_dynacor``: 15 epochs, batch 1024, the paper's encoder) on
    synthetic dynamics, one thread, for several numbers of sequences; prints seconds and the
    ratio to the smallest N (linear scaling = ratio of N).
        OMP_NUM_THREADS=1 python tools/benchmark/bench_dynacor.py encoder --rows 55000 550000
    ``--kind random`` draws every sign independently (no two rows alike: the worst case for
    the deduplication); ``--kind learned`` simulates dynamics of a trained network (a row is
    -1 until the epoch its label is learned, then +1, with 3% of the epochs flipped).
recording: a CE training iteration with and without the online record DynaCor and the
    baselines read (margin_sign of every epoch, margin, loss, softmax), alternating ABBA.
        OMP_NUM_THREADS=1 python tools/benchmark/bench_dynacor.py recording --batch 128
detection: detection F1 of DynaCor, AUM, Avg.Encoder, small-loss GMM and cleanlab's CL on a
    CIFAR-10 subset, small CNN trained as the paper trains its classifier (scaled down,
    configs/dynacor/dynacor_smallcnn_1xb128-40e_cifar10-sym60.py), under symmetric 60%,
    pair-flip 30% and instance 40% noise.
        python tools/benchmark/bench_dynacor.py detection bench_data/cifar10 --subset 10000
"""
import argparse
import json
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)


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


def recording(args):
    from mmnoisy.engine.sample_record import SampleRecord
    from tools.benchmark.harness import ce_pair, compare_train_steps
    b, n = args.batch, 55000
    record = SampleRecord(n, dict(margin_sign=None, margin=1, loss=1, prob=1), max_epochs=100,
                          num_classes=10)
    record.begin_epoch(57)

    def with_record(model):
        model.sample_record, model.record_online = record, True

    models, wrappers, data = ce_pair('smallcnn', b, n, 'CE+record', with_record, args.threads)
    base, ratio, q = compare_train_steps(models, wrappers, data, args.repeats, 'CE',
                                         'CE+record')
    print(f'small CNN, batch {b}: CE {base * 1000:.1f} ms/iter, with the record x{ratio:.3f} '
          f'(quartiles {q[0]:.3f}..{q[2]:.3f}); record of N={n} for 100 epochs: '
          f'{record.nbytes / 2**20:.1f} MiB')


DETECTION_CONFIG = 'configs/dynacor/dynacor_smallcnn_1xb128-40e_cifar10-sym60.py'
NOISES = ('sym60', 'pair30', 'ins40')   # harness.NOISES; the seed is the config's


def detection(args):
    from tools.benchmark import harness
    os.makedirs(args.work_dir, exist_ok=True)
    jobs = {}
    for name in args.noises:
        wd = os.path.join(args.work_dir, name)
        opts = harness.noise_options('train_dataloader.dataset.dataset.noise',
                                     harness.noise(name)) + [
                f'train_dataloader.dataset.dataset.dataset.data_root={args.data_root}',
                f'train_dataloader.dataset.dataset.dataset.indices={args.subset}',
                f'val_dataloader.dataset.data_root={args.data_root}',
                f'test_dataloader.dataset.data_root={args.data_root}',
                f'train_cfg.val_begin={args.epochs}', f'train_cfg.max_epochs={args.epochs}',
                'param_scheduler.milestones=' + str([round(args.epochs * f) for f in
                                                    (0.5, 0.6, 0.7, 0.8, 0.9)]).replace(' ', ''),
                'default_hooks.checkpoint.interval=1000', 'default_hooks.logger.interval=50',
                'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
                'train_dataloader.persistent_workers=False',
                'val_dataloader.persistent_workers=False']
        jobs[name] = (wd, opts)
    from concurrent.futures import ThreadPoolExecutor

    def one(name):
        wd, opts = jobs[name]
        harness.train(DETECTION_CONFIG, wd, threads=args.threads, cfg_options=opts, name=name)
        with open(os.path.join(wd, 'noisy_label_detection', 'summary.json')) as f:
            return json.load(f)
    with ThreadPoolExecutor(args.jobs) as pool:
        rows = dict(zip(jobs, pool.map(one, jobs)))
    methods = list(next(iter(rows.values())))
    print(f"{'method':<12}" + ''.join(f'{n:>16}' for n in rows))
    for m in methods:
        cells = []
        for n in rows:
            met = rows[n][m]['metrics']
            f1 = met.get('f1')
            cells.append(f"{100 * f1:6.1f} ({met['num_flagged']:>5})" if f1 is not None
                         else 'n/a')
        print(f'{m:<12}' + ''.join(f'{c:>16}' for c in cells))
    print('F1 (%) of "mislabelled", flagged count in brackets; DynaCor encoder epoch chosen: ' +
          ', '.join(f"{n} {rows[n]['dynacor']['best_epoch']}" for n in rows if 'dynacor' in rows[n]))
    with open(os.path.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(dict(args=vars(args), results=rows), f, indent=1)


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
    rec = sub.add_parser('recording')
    rec.add_argument('--batch', type=int, default=128)
    rec.add_argument('--repeats', type=int, default=20)
    rec.add_argument('--threads', type=int, default=1)
    det = sub.add_parser('detection')
    det.add_argument('data_root')
    det.add_argument('--subset', type=int, default=10000)
    det.add_argument('--epochs', type=int, default=40)
    det.add_argument('--noises', nargs='+', choices=list(NOISES), default=list(NOISES))
    det.add_argument('--jobs', type=int, default=1, help='trainings run at once')
    det.add_argument('--threads', type=int, default=1, help='threads per training')
    det.add_argument('--work-dir', default='work_dirs/bench_dynacor_detection')
    args = parser.parse_args(argv)
    if args.mode == 'encoder':
        bench_encoder(args)
    elif args.mode == 'recording':
        recording(args)
    else:
        detection(args)


if __name__ == '__main__':
    sys.exit(main())
