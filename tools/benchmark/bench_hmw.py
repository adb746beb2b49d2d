"""HMW's costs, as ratios and figures measured in one run.

iteration: a CE training iteration with and without HMW on the same network and batch: HMW
    adds the online record of the hyperspherical margins in the training forward and the
    per-sample weight lookup (the IAM itself is computed once per epoch, see ``weights``).
    Learners alternate (ABBA...) so that drift affects both alike.

    python tools/benchmark/bench_hmw.py iteration --network preactresnet18 --batch 64 --repeats 20

weights: the per-epoch work of HMWHook for N samples after T epochs: one slice (Eq. 12) from
    the record's two margins, one update of the running IAM (Eq. 7-9) and the weight table;
    independent of how many epochs were recorded before.

    python tools/benchmark/bench_hmw.py weights --num-samples 1000000 --epochs 250
"""
import argparse
import os.path as osp
import statistics
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)


def ce_pair(network, batch, num_samples, other, setup, threads=1):
    """Two identically initialised CE classifiers ('CE' and ``other``, which ``setup(model)``
    adds a method to), their SGD wrappers, and one CIFAR-sized batch drawn from N samples."""
    import numpy as np
    import torch
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmpretrain.structures import DataSample

    import mmnoisy.all_modules  # noqa: F401
    from mmnoisy.registry import MODELS
    init_default_scope('mmnoisy')
    torch.set_num_threads(threads)
    if network == 'preactresnet18':
        backbone, width = dict(type='PreActResNet', depth=18), 512
    else:
        backbone, width = dict(type='SmallCNN', widths=(32, 64, 128)), 128
    cfg = dict(type='NoisyClassifier', backbone=backbone, neck=dict(type='GlobalAveragePooling'),
               head=dict(type='LinearClsHead', num_classes=10, in_channels=width),
               data_preprocessor=dict(num_classes=10, mean=[125.3, 123.0, 113.9],
                                      std=[63.0, 62.1, 66.7]))
    imgs = torch.randint(0, 256, (batch, 3, 32, 32), dtype=torch.uint8)
    samples = [DataSample(metainfo=dict(sample_idx=int(i))).set_gt_label(int(i) % 10)
               for i in np.random.default_rng(0).choice(num_samples, batch, replace=False)]
    data = dict(inputs=list(imgs), data_samples=samples)
    models, wrappers = {}, {}
    for name in ('CE', other):
        torch.manual_seed(0)
        model = MODELS.build(cfg)
        model.train()
        if name == other:
            setup(model)
        models[name] = model
        wrappers[name] = build_optim_wrapper(model, dict(optimizer=dict(
            type='SGD', lr=0.01, momentum=0.9)))
    return models, wrappers, data


def iteration(args):
    import torch

    from mmnoisy.engine.sample_record import SampleRecord
    b, n = args.batch, 50000

    def hmw(model):
        record = SampleRecord(n, dict(cos_margin=1, cos_topk_margin=1), num_classes=10)
        record.begin_epoch(0)
        model.sample_record, model.record_online = record, True
        model.sample_weights = torch.rand(n)

    models, wrappers, data = ce_pair(args.network, b, n, 'CE+HMW', hmw, args.threads)
    base, ratio, q = compare_train_steps(models, wrappers, data, args.repeats, 'CE', 'CE+HMW')
    print(f'{args.network}, batch {b}: CE {base * 1000:.1f} ms/iter, '
          f'CE+HMW x{ratio:.3f} (quartiles {q[0]:.3f}..{q[2]:.3f})')


def compare_train_steps(models, wrappers, data, repeats, base, other):
    """Time ``train_step`` of two models on the same batch in ABBA order (drift hits both
    alike): (median seconds of ``base``, median ratio other/base, its quartiles)."""
    times = {name: [] for name in models}
    for name in models:
        models[name].train_step(data, wrappers[name])
    for r in range(repeats):
        for name in (list(models) if r % 2 == 0 else list(reversed(list(models)))):
            start = time.perf_counter()
            models[name].train_step(data, wrappers[name])
            times[name].append(time.perf_counter() - start)
    ratios = [h / c for h, c in zip(times[other], times[base])]
    return statistics.median(times[base]), statistics.median(ratios), \
        statistics.quantiles(ratios, n=4)


def weights(args):
    import torch

    from mmnoisy.selection.hmw import IAMAccumulator, hm_slice
    torch.set_num_threads(args.threads)
    n, t = args.num_samples, args.epochs
    g = torch.Generator().manual_seed(0)
    # what the record holds (float16), as HMWHook reads it
    margin = (torch.rand(n, generator=g) - 0.5).half().numpy()
    topk = (-torch.rand(n, generator=g) * 0.1).half().numpy()
    acc = IAMAccumulator(n, t)
    for e in range(1, t):  # the epochs before: their cost is not what is measured
        acc.numerator.add_(0.5)
        acc.denominator += 1.0
        acc.epochs.append(e)
    start = time.perf_counter()
    acc.update(hm_slice(margin, topk, 100.0, 100.0), t)
    w = acc.weights()
    elapsed = time.perf_counter() - start
    print(f'N = {n:,}, epoch {t} of {t}: slice + IAM update + weights in {elapsed:.3f} s '
          f'({args.threads} thread(s)); weights {tuple(w.shape)} {w.dtype}; IAM state '
          f'{acc.numerator.numel() * 8 / 2**20:.1f} MiB')


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='mode', required=True)
    it = sub.add_parser('iteration')
    it.add_argument('--network', choices=['smallcnn', 'preactresnet18'], default='smallcnn')
    it.add_argument('--batch', type=int, default=64)
    it.add_argument('--repeats', type=int, default=20)
    it.add_argument('--threads', type=int, default=1)
    w = sub.add_parser('weights')
    w.add_argument('--num-samples', type=int, default=1_000_000)
    w.add_argument('--epochs', type=int, default=250)
    w.add_argument('--threads', type=int, default=1)
    args = parser.parse_args()
    dict(iteration=iteration, weights=weights)[args.mode](args)


if __name__ == '__main__':
    main()
