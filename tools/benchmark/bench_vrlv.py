"""VRLVMix on real data and its per-epoch costs, each measured in one run.

accuracy: DivideMix and VRLVMix (no SCAN) in the CPU-sized setting (small CNNs,
    ``configs/{dividemix,vrlvmix}/*_smallcnn_cifar10_sym50.py``) on a CIFAR-10 training subset
    with symmetric 80% and asymmetric 40% noise, run two at a time; reports the test accuracy
    (mean of the last 5 epochs) and, per epoch, the AUROC of the clean/noisy ranking (the
    paper's Fig. 4: DivideMix's GMM probability; VRLVMix's GMM probability and the variance
    of ranks) and the size and precision of the labelled set.

    python tools/benchmark/bench_vrlv.py accuracy bench_data/cifar10 --subset 5000 --epochs 15

    With ``--scan-simclr-epochs E`` it first pretrains mmpretrain's SimCLR (the config of
    configs/vrlvmix with the small CNN as backbone) for E epochs on the same subset, mines 20
    neighbours per image (tools/vrlvmix/mine_neighbours.py) and adds VRLVMix + SCAN runs (SCAN
    forced on: ``scan.noise_rate=0``, since the small networks' GMM underestimates the noise).

selection: the VRLV partition for N samples and tau epochs (Eq. 3-4): recomputed from the loss
    history (tau sorts) and with the rank rows kept from earlier epochs (one new sort).

    OMP_NUM_THREADS=1 python tools/benchmark/bench_vrlv.py selection --num-samples 1000000 --tau 10

partition: one epoch of the hook's work for both networks (``vrlv_partition``: sets, D_c, ENN
    and k-NN mixup pairs with scikit-learn neighbours in D-d feature space), constant-lr branch.

    python tools/benchmark/bench_vrlv.py partition --num-samples 50000 --dim 512 --classes 10

neighbours: k nearest neighbours of N samples with D-d features (SCAN's neighbour file):
    ``mmnoisy.selection.neighbours.knn_cosine`` (blockwise matrix products) against
    scikit-learn's NearestNeighbors.

    python tools/benchmark/bench_vrlv.py neighbours --num-samples 50000 --dim 512 --k 20
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def _timed(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def selection(args):
    from mmnoisy.selection.vrlv import (loss_change_ranks, rank_variance, vrlv_sets,
                                        vrlv_variance)
    rng = np.random.default_rng(0)
    losses = rng.random((args.tau + 1, args.num_samples), dtype=np.float32)
    ranks = np.stack([loss_change_ranks(losses[t - 1], losses[t]) for t in range(1, args.tau)])

    def full():
        vrlv_sets(vrlv_variance(losses, args.tau), 0.5)

    def cached():
        new = loss_change_ranks(losses[-2], losses[-1])
        vrlv_sets(rank_variance(np.concatenate([ranks, new[None]])), 0.5)

    for name, fn in (('recomputed from the losses', full), ('rank rows kept', cached)):
        med, lo, hi = _timed(fn, args.repeats)
        print(f'VRLV N={args.num_samples} tau={args.tau}, {name}: {med:.3f} s '
              f'(min {lo:.3f}, max {hi:.3f})')


def partition(args):
    from mmnoisy.selection.vrlv import vrlv_partition
    rng = np.random.default_rng(0)
    n, c = args.num_samples, args.classes
    labels = rng.integers(0, c, n)
    # a GMM split and variances that agree on most samples, as after a few epochs
    clean_score = rng.random(n)
    g_l = clean_score > args.noise
    var = (1 - clean_score + 0.3 * rng.random(n)).astype(np.float32)
    beta = rng.random(n) < 0.1
    losses = rng.random(n).astype(np.float32)
    feats = rng.standard_normal((n, args.dim)).astype(np.float32)
    out = vrlv_partition(labels, g_l, var, beta, losses, feats, c, False)  # warm-up (imports)
    med, lo, hi = _timed(lambda: vrlv_partition(labels, g_l, var, beta, losses, feats, c, False),
                         args.repeats)
    print(f'vrlv_partition N={n} C={c} D={args.dim}: {med:.2f} s median ({lo:.2f}..{hi:.2f}); '
          f"D_c {int(out['clean'].sum())}, D_x {int(out['net1']['labelled'].sum())} / "
          f"{int(out['net2']['labelled'].sum())}, pairs {len(out['net1']['pairs'])} / "
          f"{len(out['net2']['pairs'])}")


def neighbours(args):
    from sklearn.neighbors import NearestNeighbors

    from mmnoisy.selection.neighbours import knn_cosine
    x = np.random.default_rng(0).standard_normal((args.num_samples, args.dim)).astype(np.float32)
    med, lo, hi = _timed(lambda: knn_cosine(x, args.k), 1)
    print(f'knn_cosine N={args.num_samples} D={args.dim} k={args.k}: {med:.1f} s')
    if not args.skip_sklearn:
        med, lo, hi = _timed(
            lambda: NearestNeighbors(n_neighbors=args.k + 1).fit(x).kneighbors(x), 1)
        print(f'scikit-learn NearestNeighbors (auto -> brute): {med:.1f} s')


NOISES = ('sym80', 'asym40')   # harness.NOISES; seed 1 from the base config
ACC_METHODS = {
    'DivideMix': 'configs/dividemix/dividemix_smallcnn_cifar10_sym50.py',
    'VRLVMix': 'configs/vrlvmix/vrlvmix_smallcnn_cifar10_sym50.py',
}


SIMCLR_SMALLCNN = """_base_ = ['{root}/configs/vrlvmix/simclr_resnet18_1xb512-500e_cifar10.py']
model = dict(backbone=dict(_delete_=True, type='mmnoisy.SmallCNN', in_channels=3,
                           widths=(32, 64, 128)),
             neck=dict(in_channels=128, hid_channels=128, out_channels=64))
"""


def _simclr_neighbours(args):
    """SimCLR (small CNN) on the subset, then its 20-NN file; returns the file's path."""
    import subprocess

    from tools.benchmark import harness
    from tools.benchmark.harness import ROOT
    out = osp.join(args.work_dir, 'simclr')
    os.makedirs(out, exist_ok=True)
    cfg = osp.join(out, 'simclr_smallcnn.py')
    with open(cfg, 'w') as f:
        f.write(SIMCLR_SMALLCNN.format(root=ROOT))
    e = args.scan_simclr_epochs
    data = [f'train_dataloader.dataset.data_root={args.data_root}',
            f'train_dataloader.dataset.indices={args.subset}']
    harness.train(cfg, out, cfg_options=[
        *data, 'train_dataloader.batch_size=256', f'train_cfg.max_epochs={e}',
        f'param_scheduler.0.T_max={e}', f'param_scheduler.0.end={e}',
        'train_dataloader.num_workers=2', 'default_hooks.checkpoint.interval=1000'],
        name='SimCLR', results=False)
    subprocess.run([sys.executable, osp.join(ROOT, 'tools/vrlvmix/mine_neighbours.py'), cfg,
                    osp.join(out, f'epoch_{e}.pth'), '--data-config',
                    osp.join(ROOT, ACC_METHODS['VRLVMix']), '--out-dir', out, '--cfg-options',
                    f'train_dataloader.dataset.dataset.data_root={args.data_root}',
                    f'train_dataloader.dataset.dataset.indices={args.subset}'],
                   cwd=ROOT, check=True, capture_output=True)
    return osp.join(out, 'neighbours.npy')


def _slug(name):
    return name.lower().replace('+', '_')


def _accuracy_run(name, noise, args, neighbours=None):
    from tools.benchmark import harness
    work_dir = osp.join(args.work_dir, f'{_slug(name)}_{noise}')
    opts = harness.subset_opts(args.data_root, args.subset, args.epochs, 1) + [
        *harness.noise_options('train_dataloader.dataset.noise', harness.noise(noise))]
    if name == 'VRLVMix+SCAN':
        opts += [f'model.scan.neighbours={neighbours}', 'model.scan.noise_rate=0.0']
    if noise.startswith('asym'):
        opts.append('model.warmup_neg_entropy=True')
    start = time.time()
    run = harness.train(ACC_METHODS[name.split('+')[0]], work_dir, threads=1, cfg_options=opts,
                        name=f'{name} {noise}')
    with open(osp.join(work_dir, 'selection_quality.json')) as f:
        epochs = json.load(f)['epochs']
    per_epoch = [dict(epoch=e['epoch'], auroc=e['net1']['auroc'],
                      vrlv_auroc=e['net1'].get('vrlv_auroc'),
                      labelled=e['net1']['trusted_fraction'],
                      precision=e['net1']['precision'], mode=e['net1'].get('mode'))
                 for e in epochs]
    return dict(top1_last5=run['mean_last_k'], minutes=(time.time() - start) / 60,
                epochs=per_epoch)


def accuracy(args):
    os.makedirs(args.work_dir, exist_ok=True)
    jobs = [] if args.only_scan else [(m, n) for n in args.noises for m in ACC_METHODS]
    neighbours = None
    if args.scan_simclr_epochs:
        neighbours = _simclr_neighbours(args)
        jobs += [('VRLVMix+SCAN', n) for n in args.noises]
    with ThreadPoolExecutor(args.jobs) as pool:
        done = list(pool.map(lambda j: (j, _accuracy_run(j[0], j[1], args, neighbours)), jobs))
    results = {f'{m} {n}': r for (m, n), r in done}
    path = osp.join(args.work_dir, 'results.json')
    if osp.exists(path):  # keep the results of earlier runs in this work dir
        with open(path) as f:
            results = dict(json.load(f)['results'], **results)
    with open(path, 'w') as f:
        json.dump(dict(args=vars(args), results=results), f, indent=1)
    for key, r in results.items():
        print(f'{key:18s} top-1 last-5 mean {r["top1_last5"]:6.2f}  {r["minutes"]:5.1f} min')
        for e in r['epochs']:
            v = '' if e['vrlv_auroc'] is None else f'  VRLV AUROC {e["vrlv_auroc"]:.3f}'
            print(f'   epoch {e["epoch"]:3d}  GMM AUROC {e["auroc"]:.3f}{v}  labelled '
                  f'{e["labelled"]:.3f}  precision {e["precision"]:.3f}')


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='mode', required=True)
    sel = sub.add_parser('selection')
    sel.add_argument('--num-samples', type=int, default=1_000_000)
    sel.add_argument('--tau', type=int, default=10)
    sel.add_argument('--repeats', type=int, default=3)
    part = sub.add_parser('partition')
    part.add_argument('--num-samples', type=int, default=50_000)
    part.add_argument('--dim', type=int, default=512)
    part.add_argument('--classes', type=int, default=10)
    part.add_argument('--noise', type=float, default=0.5)
    part.add_argument('--repeats', type=int, default=3)
    nb = sub.add_parser('neighbours')
    nb.add_argument('--num-samples', type=int, default=50_000)
    nb.add_argument('--dim', type=int, default=512)
    nb.add_argument('--k', type=int, default=20)
    nb.add_argument('--skip-sklearn', action='store_true')
    acc = sub.add_parser('accuracy')
    acc.add_argument('data_root', help='holds cifar-10-batches-py/')
    acc.add_argument('--subset', type=int, default=5000)
    acc.add_argument('--epochs', type=int, default=15)
    acc.add_argument('--noises', nargs='+', choices=list(NOISES), default=list(NOISES))
    acc.add_argument('--jobs', type=int, default=2, help='runs at a time')
    acc.add_argument('--work-dir', default='work_dirs/bench_vrlv_accuracy')
    acc.add_argument('--scan-simclr-epochs', type=int, default=0,
                     help='pretrain SimCLR this long and add VRLVMix + SCAN runs')
    acc.add_argument('--only-scan', action='store_true',
                     help='only the SCAN runs (DivideMix / VRLVMix results already there)')
    args = parser.parse_args()
    dict(selection=selection, partition=partition, neighbours=neighbours,
         accuracy=accuracy)[args.mode](args)


if __name__ == '__main__':
    main()
