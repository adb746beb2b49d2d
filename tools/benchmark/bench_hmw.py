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

accuracy: CE against CE + HMW and the rows of the paper's Table 4 ("AUM only": the
    hyperspherical AUM term alone, every epoch the same; "AUM + CA": with the cosine
    annealing; "HMW": AUM + TKUM + CA), all in one run, on a CIFAR-10 training subset with
    the small CNN (``configs/baselines/ce_smallcnn_cifar10_sym50.py``), symmetric 50% and
    asymmetric 40% noise; reports the test accuracy averaged over the last 5 epochs and the
    mean HMW weight of clean and of mislabelled samples in the last epoch.

    python tools/benchmark/bench_hmw.py accuracy DATA_ROOT --subset 5000 --epochs 20 --jobs 2
"""
import argparse
import json
import os
import os.path as osp
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)


def iteration(args):
    import torch

    from mmnoisy.engine.sample_record import SampleRecord
    b, n = args.batch, 50000

    def hmw(model):
        record = SampleRecord(n, dict(cos_margin=1, cos_topk_margin=1), num_classes=10)
        record.begin_epoch(0)
        model.sample_record, model.record_online = record, True
        model.sample_weights = torch.rand(n)

    from tools.benchmark.harness import ce_pair, compare_train_steps
    models, wrappers, data = ce_pair(args.network, b, n, 'CE+HMW', hmw, args.threads)
    base, ratio, q = compare_train_steps(models, wrappers, data, args.repeats, 'CE', 'CE+HMW')
    print(f'{args.network}, batch {b}: CE {base * 1000:.1f} ms/iter, '
          f'CE+HMW x{ratio:.3f} (quartiles {q[0]:.3f}..{q[2]:.3f})')


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


VARIANTS = {  # HMWHook options of each row; None = plain CE
    'CE': None,
    'AUM only': dict(use_tkum=False, anneal=False),
    'AUM + CA': dict(use_tkum=False, anneal=True),
    'HMW': dict(use_tkum=True, anneal=True),
}
NOISE_NAMES = ('sym50', 'asym40')   # harness.NOISES, seed 1
CE_CONFIG = 'configs/baselines/ce_smallcnn_cifar10_sym50.py'


def _accuracy_config(work_dir, noise, variant, args):
    """A config file: the CPU CE config with this noise and, for the HMW rows, the record of
    the margins (online, from epoch 0) and HMWHook from ``args.warmup`` on."""
    from tools.benchmark import harness
    text = f"_base_ = ['{osp.join(ROOT, CE_CONFIG)}']\n" \
        f'train_dataloader = dict(dataset=dict(noise=' \
        f'{harness.noise_text(harness.noise(noise, seed=1))}))\n'
    opts = VARIANTS[variant]
    if opts is not None:
        signals = 'cos_margin=1, cos_topk_margin=1' if opts['use_tkum'] else 'cos_margin=1'
        text += ("custom_hooks = [\n"
                 f"    dict(type='SampleRecordHook', mode='online', signals=dict({signals})),\n"
                 f"    dict(type='HMWHook', alpha={args.alpha}, beta={args.beta}, "
                 f"warmup_epochs={args.warmup}, use_tkum={opts['use_tkum']}, "
                 f"anneal={opts['anneal']})]\n")
    path = work_dir + '.py'
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    return path


def _accuracy_run(noise, variant, args):
    from tools.benchmark import harness
    work_dir = osp.join(args.work_dir, f"{noise}_{variant.lower().replace(' + ', '_').replace(' ', '_')}")
    config = _accuracy_config(work_dir, noise, variant, args)
    opts = harness.subset_opts(args.data_root, args.subset, args.epochs, 0, log_interval=50) + \
        [f'randomness.seed={args.seed}']
    start = time.time()
    run = harness.train(config, work_dir, threads=args.threads, cfg_options=opts,
                        name=f'{noise} {variant}')
    with open(work_dir + '.log') as f:  # HMW's weights are logged, not in results.json
        log = f.read()
    weights = re.findall(r'HMW epoch \d+: mean weight ([0-9.]+), clean samples ([0-9.]+), '
                         r'mislabelled ([0-9.]+)', log)
    return dict(top1_last5=run['mean_last_k'], top1_last=run['last'],
                weight_clean=float(weights[-1][1]) if weights else None,
                weight_mislabelled=float(weights[-1][2]) if weights else None,
                minutes=(time.time() - start) / 60)


def accuracy(args):
    runs = [(n, v) for n in args.noises for v in VARIANTS]
    with ThreadPoolExecutor(args.jobs) as pool:
        out = list(pool.map(lambda r: _accuracy_run(*r, args), runs))
    results = {}
    for (noise, variant), res in zip(runs, out):
        results.setdefault(noise, {})[variant] = res
    print(f'CIFAR-10, first {args.subset} training images, small CNN, {args.epochs} epochs, '
          f'HMW from epoch {args.warmup}, alpha = beta = {args.alpha:g}; top-1 %, mean of the '
          'last 5 epochs (last epoch); mean HMW weight clean / mislabelled in the last epoch')
    for noise, rows in results.items():
        for variant, r in rows.items():
            w = '' if r['weight_clean'] is None else \
                f"  weights {r['weight_clean']:.3f} / {r['weight_mislabelled']:.3f}"
            print(f"{noise:7s} {variant:9s} {r['top1_last5']:6.2f} ({r['top1_last']:.2f})"
                  f"{w}  {r['minutes']:.1f} min")
    with open(osp.join(args.work_dir, 'accuracy_results.json'), 'w') as f:
        json.dump(dict(args=vars(args), results=results), f, indent=1)


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
    acc = sub.add_parser('accuracy')
    acc.add_argument('data_root')
    acc.add_argument('--subset', type=int, default=5000)
    acc.add_argument('--epochs', type=int, default=20)
    acc.add_argument('--warmup', type=int, default=5)
    acc.add_argument('--alpha', type=float, default=100.0)
    acc.add_argument('--beta', type=float, default=100.0)
    acc.add_argument('--noises', nargs='+', default=list(NOISE_NAMES), choices=NOISE_NAMES)
    acc.add_argument('--seed', type=int, default=0)
    acc.add_argument('--jobs', type=int, default=2, help='runs at a time')
    acc.add_argument('--threads', type=int, default=1, help='threads per run')
    acc.add_argument('--work-dir', default='work_dirs/bench_hmw_accuracy')
    args = parser.parse_args()
    dict(iteration=iteration, weights=weights, accuracy=accuracy)[args.mode](args)


if __name__ == '__main__':
    main()
