"""Costs of the per-sample record, measured in one run.

python tools/benchmark/bench_sample_record.py DATA_ROOT [--repeats 3]

DATA_ROOT holds cifar-10-batches-py/ (e.g. ../shared/data/make_cifar10.py DATA_ROOT).
1. The per-epoch recording pass over the 50k CIFAR-10 training images (small CNN, CPU, one
   thread) against a bare ``torch.no_grad()`` forward over the same DataLoader and batch size,
   alternating the two (ABBA) so that drift affects both alike.
2. GMM confidence for N = 1,000,000 losses: scikit-learn's GaussianMixture fit alone vs.
   ``gmm_clean_posterior`` (normalisation, fit, posterior).
3. Memory of a record for N = 1,000,000 and 200 epochs with the signals HMW (hyperspherical
   AUM and TKUM slices) and DynaCor (margin sign) keep per epoch.
"""
import argparse
import os.path as osp
import statistics
import sys
import time
import types

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

SIGNALS = dict(loss=None, margin=None, topk_margin=None, pred=1, confidence=1, margin_sign=None,
               cos_margin=None, cos_topk_margin=None)


def build(data_root, batch_size):
    from mmengine.runner import Runner

    from mmnoisy.datasets.views import PipelineView
    from mmnoisy.registry import DATASETS, MODELS
    dataset = DATASETS.build(dict(
        type='NoisyLabelDataset', noise=dict(type='symmetric', rate=0.5, seed=1),
        dataset=dict(type='CIFAR10', data_root=data_root, pipeline=[])))
    loader = Runner.build_dataloader(dict(
        dataset=PipelineView(dataset, [dict(type='PackNoisyInputs')]),
        sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
        batch_size=batch_size, num_workers=0))
    model = MODELS.build(dict(
        type='NoisyClassifier', backbone=dict(type='SmallCNN'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=128),
        data_preprocessor=dict(num_classes=10, mean=[125.3, 123.0, 113.9],
                               std=[63.0, 62.1, 66.7]))).eval()
    return dataset, loader, model


@torch.no_grad()
def bare_pass(loader, model):
    start = time.perf_counter()
    for data in loader:
        data = model.data_preprocessor(data, False)
        model(data['inputs'], mode='tensor')
    return time.perf_counter() - start


def record_pass(hook, runner, epoch):
    start = time.perf_counter()
    hook.record.begin_epoch(epoch)
    hook.record_pass(runner)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--batch-size', type=int, default=256)
    parser.add_argument('--gmm-samples', type=int, default=1_000_000)
    parser.add_argument('--record-samples', type=int, default=1_000_000)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    from mmnoisy.engine import SampleRecord
    from mmnoisy.engine.hooks import SampleRecordHook
    from mmnoisy.utils import register_all_modules
    register_all_modules()

    dataset, loader, model = build(args.data_root, args.batch_size)
    hook = SampleRecordHook(signals=SIGNALS)
    hook.loader = loader
    hook.record = SampleRecord(len(dataset), SIGNALS, max_epochs=2 * args.repeats + 1,
                               num_classes=10)
    runner = types.SimpleNamespace(model=model)
    bare_pass(loader, model)  # warm-up
    times = {'bare': [], 'record': []}
    epoch = 0
    for r in range(args.repeats):
        order = ['bare', 'record'] if r % 2 == 0 else ['record', 'bare']
        for name in order:
            if name == 'bare':
                times['bare'].append(bare_pass(loader, model))
            else:
                times['record'].append(record_pass(hook, runner, epoch))
                epoch += 1
    bare, rec = statistics.median(times['bare']), statistics.median(times['record'])
    print(f'1. pass over {len(dataset)} CIFAR-10 training images, small CNN, batch '
          f'{args.batch_size}, 1 thread, median of {args.repeats}:')
    print(f"   bare no_grad forward {bare:.2f} s  ({' '.join(f'{t:.2f}' for t in times['bare'])})")
    print(f"   recording pass       {rec:.2f} s  ({' '.join(f'{t:.2f}' for t in times['record'])})"
          f'  signals: {list(SIGNALS)}')
    print(f'   ratio recording / bare: {rec / bare:.3f}')

    from sklearn.mixture import GaussianMixture

    from mmnoisy.selection import gmm_clean_posterior
    rng = np.random.default_rng(0)
    n = args.gmm_samples
    losses = np.concatenate([rng.gamma(2.0, 0.2, n - n // 2), rng.normal(3.0, 0.6, n // 2)])
    gmm_clean_posterior(losses[:1000])  # imports and thread pools, once per process
    fit, ours, ref = [], [], []
    for _ in range(3):
        x = ((losses - losses.min()) / (losses.max() - losses.min()))[:, None]
        start = time.perf_counter()
        GaussianMixture(n_components=2, max_iter=10, tol=1e-2, reg_covar=5e-4,
                        random_state=0).fit(x)
        fit.append(time.perf_counter() - start)
        for backend, out in (('numpy', ours), ('sklearn', ref)):
            start = time.perf_counter()
            gmm_clean_posterior(losses, backend=backend)
            out.append(time.perf_counter() - start)
    print(f'2. GMM confidence for N = {n:,}, median of 3: GaussianMixture.fit alone '
          f'{statistics.median(fit):.3f} s; gmm_clean_posterior {statistics.median(ours):.3f} s '
          f"(backend='numpy', default), {statistics.median(ref):.3f} s (backend='sklearn')")

    hmw_dynacor = {'cos_margin': None, 'cos_topk_margin': None, 'margin_sign': None}
    start = time.perf_counter()
    big = SampleRecord(args.record_samples, hmw_dynacor, max_epochs=199)  # epochs 0..199
    alloc = time.perf_counter() - start
    dtypes = ', '.join(f'{k}: {big.buffers[("net", k)].dtype}' for k in hmw_dynacor)
    print(f'3. record for N = {args.record_samples:,} x 200 epochs of {dtypes}: {big.nbytes / 1e9:.3f} GB = '
          f'{big.nbytes / 2**30:.3f} GiB, allocated in {alloc:.2f} s')


if __name__ == '__main__':
    main()
