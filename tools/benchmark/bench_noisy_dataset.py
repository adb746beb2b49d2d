"""Cost of the noise wrapper on real CIFAR-10 (50k training images).

python tools/benchmark/bench_noisy_dataset.py DATA_ROOT [--repeats 5]

DATA_ROOT holds cifar-10-batches-py/ (e.g. from ../shared/data/make_cifar10.py DATA_ROOT).
Measures, in one process:
  1. the time to build the training set (median of 3, file cache warm): CIFAR10 alone,
     and wrapped with symmetric / instance-dependent noise (loading the files included);
  2. data-loading throughput (images/s) through the training pipeline (random crop, flip,
     pack) and a DataLoader, with and without the wrapper, alternating the two in each
     repeat so that drift of the machine affects both alike; the overhead is the ratio of
     the median throughputs.
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


def throughput(dataset, batch_size, num_workers):
    from mmengine.dataset import pseudo_collate
    from torch.utils.data import DataLoader
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False,
                        num_workers=num_workers, collate_fn=pseudo_collate)
    start = time.perf_counter()
    count = sum(len(batch['inputs']) for batch in loader)
    return count / (time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root')
    parser.add_argument('--repeats', type=int, default=5)
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

    throughput(plain, args.batch_size, args.num_workers)  # warm-up
    rows = {'plain': [], 'noisy': []}
    for _ in range(args.repeats):
        rows['plain'].append(throughput(plain, args.batch_size, args.num_workers))
        rows['noisy'].append(throughput(noisy, args.batch_size, args.num_workers))
    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f'loading throughput, median of {args.repeats} (images/s): '
          f"plain {med['plain']:.0f}, wrapped {med['noisy']:.0f}")
    print('runs plain:   ' + ' '.join(f'{v:.0f}' for v in rows['plain']))
    print('runs wrapped: ' + ' '.join(f'{v:.0f}' for v in rows['noisy']))
    print(f"wrapper overhead: {100 * (med['plain'] / med['noisy'] - 1):+.2f}% time per image")


if __name__ == '__main__':
    main()
