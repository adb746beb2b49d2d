"""Cost of the noise wrapper on real CIFAR-10 (50k training images).

python tools/benchmark/bench_noisy_dataset.py DATA_ROOT [--rounds 40] [--block 2560]

DATA_ROOT holds cifar-10-batches-py/ (e.g. from ../shared/data/make_cifar10.py DATA_ROOT).
Measures, in one process:
  1. the time to build the training set (median of 3, file cache warm): CIFAR10 alone,
     and wrapped with symmetric / instance-dependent noise (loading the files included);
  2. data-loading cost through the training pipeline (random crop, flip, pack) and a
     DataLoader, with and without the wrapper: the same block of images through both, back
     to back in alternating order, many times; the overhead is the median of the paired
     time ratios (whole-pass timings drift by several percent on a shared machine).
"""
import argparse
import os.path as osp
import statistics
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

PIPELINE = [dict(type='RandomCrop', crop_size=32, padding=4),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='PackNoisyInputs')]


def build(data_root, noise=None):
    from mmnoisy.registry import DATASETS
    cfg = dict(type='CIFAR10', data_root=data_root, split='train', pipeline=PIPELINE)
    if noise is not None:
        cfg = dict(type='NoisyLabelDataset', dataset=cfg, noise=noise)
    start = time.perf_counter()
    dataset = DATASETS.build(cfg)
    return dataset, time.perf_counter() - start


def block_seconds(dataset, start, size, batch_size, num_workers):
    """Seconds to load samples [start, start + size) through a DataLoader."""
    from mmengine.dataset import pseudo_collate
    from torch.utils.data import DataLoader, Subset
    loader = DataLoader(Subset(dataset, range(start, start + size)), batch_size=batch_size,
                        shuffle=False, num_workers=num_workers, collate_fn=pseudo_collate)
    begin = time.perf_counter()
    count = sum(len(batch['inputs']) for batch in loader)
    assert count == size
    return time.perf_counter() - begin


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root')
    parser.add_argument('--rounds', type=int, default=40, help='paired blocks')
    parser.add_argument('--block', type=int, default=2560, help='images per block')
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--num-workers', type=int, default=0)
    args = parser.parse_args(argv)
    from mmnoisy.utils import register_all_modules
    register_all_modules()

    noises = {'CIFAR10 alone': None,
              'with symmetric 50% noise': dict(type='symmetric', rate=0.5, seed=1),
              'with instance-dependent 40% noise': dict(type='instance', rate=0.4, seed=1)}
    build(args.data_root)  # warm the file cache and imports
    times = {name: [] for name in noises}
    for _ in range(3):
        for name, noise in noises.items():
            times[name].append(build(args.data_root, noise)[1])
    plain, _ = build(args.data_root)
    noisy, _ = build(args.data_root, noises['with symmetric 50% noise'])
    print(f'training set: {len(plain)} images; build time, median of 3 (s):')
    for name, values in times.items():
        print(f'  {name:36s} {statistics.median(values):6.2f}')
    print(f'realised symmetric rate: {noisy.noise.noise_rate:.4f}')

    # Paired blocks: the same samples through both datasets back to back, in ABBA order,
    # so that drift of the machine (seconds-scale) cancels in each pair's ratio.
    size, num = args.block, len(plain)
    block_seconds(plain, 0, size, args.batch_size, args.num_workers)  # warm-up
    ratios, rate = [], {'plain': [], 'wrapped': []}
    for r in range(args.rounds):
        start = (r * size) % (num - size)
        order = [('plain', plain), ('wrapped', noisy)]
        if r % 2:
            order.reverse()
        secs = {name: block_seconds(ds, start, size, args.batch_size, args.num_workers)
                for name, ds in order}
        ratios.append(secs['wrapped'] / secs['plain'])
        for name in secs:
            rate[name].append(size / secs[name])
    print(f'loading through the training pipeline and a DataLoader (batch {args.batch_size}, '
          f'{args.num_workers} workers), {args.rounds} paired blocks of {size} images:')
    print(f"  images/s, median: plain {statistics.median(rate['plain']):.0f}, "
          f"wrapped {statistics.median(rate['wrapped']):.0f}")
    q = statistics.quantiles(ratios, n=4)
    print(f'  wrapper overhead (median of paired time ratios): '
          f'{100 * (statistics.median(ratios) - 1):+.2f}% '
          f'(quartiles {100 * (q[0] - 1):+.2f}% .. {100 * (q[2] - 1):+.2f}%)')


if __name__ == '__main__':
    main()
