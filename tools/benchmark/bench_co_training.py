"""Co-training learners on real data: accuracy side by side, and iteration cost.

accuracy: CE, Co-teaching, DivideMix, RoLR and CCL trained one after the other in one run on
    a CIFAR-10 training subset with 50% symmetric noise, small CNNs, the CPU-sized configs
    (``configs/<method>/<method>_smallcnn_cifar10_sym50.py``); reports the test accuracy
    averaged over the last 5 epochs, the accuracy of the last epoch, and the GMM selection
    quality at the end.

    python tools/benchmark/bench_co_training.py accuracy DATA_ROOT --subset 10000 --epochs 15

digits: the same five methods (and RoLR + NegScale, UNICON, UNICON + HMW) on the digits demos
    (real 8x8 handwritten digits, 40% symmetric noise, small CNNs, 30 epochs), several seeds
    each; a setting where CE does fit the noise.

    python tools/benchmark/bench_co_training.py digits --seeds 1 2 3

coteaching-kept: Co-teaching's digits demo in-process, counting per epoch and per given label the
    share of batch rows the small-loss pick keeps (both networks' picks), for the schedule
    offsets given; a class kept at 0% is never learnt.

    OMP_NUM_THREADS=1 python tools/benchmark/bench_co_training.py coteaching-kept --offsets 0 1

memorisation: after an accuracy run, how much of the noise each final model fits (the share of
    mislabelled training samples predicted as their given label).

    python tools/benchmark/bench_co_training.py memorisation DATA_ROOT --subset 10000

iteration: the cost of one training iteration of CCL against RoLR (and DivideMix,
    Co-teaching, RoLR + NegScale, DivideMix + NegScale) on the same two networks and the same
    batch, in the method phase, alternating the learners (ABBA...) so that drift affects all
    alike; reports ratios.

    python tools/benchmark/bench_co_training.py iteration --batch 128 --repeats 30
    python tools/benchmark/bench_co_training.py iteration --network preactresnet18 \
        --learners RoLR+NegScale --repeats 10

negscale-loss: forward + backward of NegScale's loss alone (SNOP + DCSA, CIFAR-10 tree, random
    labels and non-negative features) for a few batch sizes and feature widths.

    OMP_NUM_THREADS=1 python tools/benchmark/bench_co_training.py negscale-loss

similarity: after an accuracy run, NegScale's pair-similarity statistic (same class, small
    and large pLCA; tools/analysis/similarity_stats.py) of each final model's net1 on the
    CIFAR-10 test set.

    python tools/benchmark/bench_co_training.py similarity DATA_ROOT --methods RoLR RoLR+NegScale

DATA_ROOT holds cifar-10-batches-py/ (``python ../shared/data/make_cifar10.py DATA_ROOT``).
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

from tools.benchmark import harness  # noqa: E402

METHODS = {
    'CE': 'configs/baselines/ce_smallcnn_cifar10_sym50.py',
    'Co-teaching': 'configs/coteaching/coteaching_smallcnn_cifar10_sym50.py',
    'DivideMix': 'configs/dividemix/dividemix_smallcnn_cifar10_sym50.py',
    'RoLR': 'configs/rolr/rolr_smallcnn_cifar10_sym50.py',
    'CCL': 'configs/ccl/ccl_smallcnn_cifar10_sym50.py',
    'RoLR+NegScale': 'configs/negscale/negscale_rolr_smallcnn_cifar10_sym50.py',
}


def accuracy(args):
    os.makedirs(args.work_dir, exist_ok=True)
    results = {}
    for name, config in METHODS.items():
        if args.methods and name not in args.methods:
            continue
        work_dir = osp.join(args.work_dir, harness.slug(name))
        config = harness.derived_config(config, work_dir + '_config.py', args.widths,
                                args.no_crop_flip)
        opts = harness.subset_opts(args.data_root, args.subset, args.epochs, args.workers)
        start = time.time()
        run = harness.train(config, work_dir, cfg_options=opts, name=name)
        elapsed = time.time() - start
        sel = harness.selection_quality(work_dir)
        results[name] = dict(config=config, top1_last5=run['mean_last_k'],
                             top1_last=run['last'], minutes=elapsed / 60, selection=sel)
        print(f"{name:12s} last-5 mean {run['mean_last_k']:6.2f}  last {run['last']:6.2f}  "
              f'{elapsed / 60:5.1f} min  selection {sel}', flush=True)
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(dict(args=vars(args), results=results), f, indent=1)


DIGITS = {
    'CE': 'configs/demo/ce_smallcnn_digits_sym40.py',
    'Co-teaching': 'configs/demo/coteaching_smallcnn_digits_sym40.py',
    'DivideMix': 'configs/demo/dividemix_smallcnn_digits_sym40.py',
    'RoLR': 'configs/demo/rolr_smallcnn_digits_sym40.py',
    'CCL': 'configs/demo/ccl_smallcnn_digits_sym40.py',
    'RoLR+NegScale': 'configs/demo/negscale_rolr_smallcnn_digits_sym40.py',
    'UNICON': 'configs/demo/unicon_smallcnn_digits_sym40.py',
    'UNICON+HMW': 'configs/demo/unicon-hmw_smallcnn_digits_sym40.py',
    'VRLVMix': 'configs/demo/vrlvmix_smallcnn_digits_sym40.py',
    'CE+HMW': 'configs/demo/hmw_ce_smallcnn_digits_sym40.py',
}


def digits(args):
    """The digits demos (8x8 handwritten digits, 40% symmetric noise, 30 epochs), each method
    with the same seeds (noise and run), mean and spread of the last-10-epoch accuracy."""
    results = {}
    for name, config in DIGITS.items():
        if args.methods and name not in args.methods:
            continue
        accs = []
        for seed in args.seeds:
            run = harness.train(config, osp.join(args.work_dir, f'{harness.slug(name)}_seed{seed}'),
                                cfg_options=[f'randomness.seed={seed}',
                                             f'train_dataloader.dataset.noise.seed={seed}'],
                                name=name)
            accs.append(run['mean_last_k'])
        results[name] = accs
        print(f'{name:12s} last-10 mean over seeds {statistics.mean(accs):6.2f} '
              f'(min {min(accs):.2f}, max {max(accs):.2f}; {accs})', flush=True)
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'digits_results.json'), 'w') as f:
        json.dump(results, f, indent=1)


def coteaching_kept(args):
    """Per epoch and given label, the share of the batch rows Co-teaching's small-loss picks
    keep, on the digits demo, once per ``schedule_offset`` (same seed)."""
    import numpy as np
    from mmengine.config import Config
    from mmengine.runner import Runner

    import mmnoisy.all_modules  # noqa: F401
    import mmnoisy.models.learners.coteaching as coteaching
    pick, step = coteaching.small_loss_indices, coteaching.CoTeaching.method_step
    counts, current = {}, {}

    def counting_pick(losses, keep_ratio):
        kept = pick(losses, keep_ratio)
        labels, seen_kept = current['labels'], counts.setdefault(current['epoch'],
                                                                 np.zeros((2, 10)))
        np.add.at(seen_kept[0], labels, 1)
        np.add.at(seen_kept[1], labels[kept.cpu().numpy()], 1)
        return kept

    def recording_step(self, views, labels, sample_idx, optim_wrapper):
        current.update(labels=labels.cpu().numpy(), epoch=self.epoch)
        return step(self, views, labels, sample_idx, optim_wrapper)

    coteaching.small_loss_indices, coteaching.CoTeaching.method_step = counting_pick, \
        recording_step
    report = {}
    try:
        for offset in args.offsets:
            counts.clear()
            cfg = Config.fromfile(DIGITS['Co-teaching'])
            cfg.model.schedule_offset = offset
            cfg.randomness = dict(seed=args.seed)
            cfg.train_dataloader.dataset.noise.seed = args.seed
            cfg.work_dir = osp.join(args.work_dir, f'offset{offset}_seed{args.seed}')
            cfg.log_level = 'WARNING'
            Runner.from_cfg(cfg).train()
            rows = [(counts[e][1] / np.maximum(counts[e][0], 1)).round(2).tolist()
                    for e in sorted(counts)]
            report[offset] = rows
            print(f'schedule_offset={offset}: kept share per given label, epochs 1-{len(rows)}')
            for epoch, row in enumerate(rows, 1):
                print(f'  {epoch:3d} ' + ' '.join(f'{v:4.2f}' for v in row)
                      + f'   min {min(row):4.2f}')
    finally:
        coteaching.small_loss_indices, coteaching.CoTeaching.method_step = pick, step
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'coteaching_kept.json'), 'w') as f:
        json.dump(report, f, indent=1)


def memorisation(args):
    """How much of the noise each trained model has fitted: on the training subset (test
    transform), the share of noisy samples predicted as their *given* (wrong) label, and the
    accuracy on clean samples. A model that has not memorised the noise leaves little for a
    noise-robust method to win back."""
    from mmengine.config import Config
    for name, config in METHODS.items():
        work_dir = osp.join(args.work_dir, harness.slug(name))
        if harness.last_checkpoint(work_dir) is None:
            continue
        derived = work_dir + '_config.py'  # written by accuracy --widths / --no-crop-flip
        cfg = Config.fromfile(derived if osp.exists(derived) else osp.join(ROOT, config))
        inner = harness.noisy_dataset(cfg.train_dataloader.dataset).dataset
        inner.data_root, inner.indices = args.data_root, args.subset  # the run's --cfg-options
        fit = harness.fitted_noise(work_dir, cfg)
        print(f"{name:12s} {fit['checkpoint']}: noisy samples predicted as their given label "
              f"{fit['wrong_fitted']:.3f}, as their true label {fit['wrong_corrected']:.3f}; "
              f"clean samples correct {fit['clean_correct']:.3f}", flush=True)


def iteration(args):
    import torch
    from mmengine.registry import init_default_scope

    import mmnoisy.all_modules  # noqa: F401
    from mmnoisy.engine.optimizers import CoTrainingOptimWrapperConstructor
    from mmnoisy.models.interfaces import Selection
    from mmnoisy.registry import MODELS
    init_default_scope('mmnoisy')
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.network == 'preactresnet18':
        network = dict(type='NoisyClassifier', backbone=dict(type='PreActResNet', depth=18),
                       neck=dict(type='GlobalAveragePooling'),
                       head=dict(type='LinearClsHead', num_classes=10, in_channels=512))
    else:
        network = dict(type='NoisyClassifier',
                       backbone=dict(type='SmallCNN', widths=(32, 64, 128)),
                       neck=dict(type='GlobalAveragePooling'),
                       head=dict(type='LinearClsHead', num_classes=10, in_channels=128))
    negscale = [dict(type='NegScale', taxonomy='cifar10')]
    learners = {
        'RoLR': dict(type='RoLR'), 'CCL': dict(type='CCL'),
        'CCL weak_view_grad': dict(type='CCL', weak_view_grad=True),
        'DivideMix': dict(type='DivideMix'), 'Co-teaching': dict(type='CoTeaching'),
        'RoLR+NegScale': dict(type='RoLR', aux_losses=negscale),
        'DivideMix+NegScale': dict(type='DivideMix', aux_losses=negscale),
    }
    if args.learners:
        learners = {k: v for k, v in learners.items() if k in args.learners or k == 'RoLR'}
    b = args.batch
    views = [torch.randint(0, 256, (b, 3, 32, 32), dtype=torch.uint8) for _ in range(2)]
    from mmpretrain.structures import DataSample
    samples = [DataSample(metainfo=dict(sample_idx=i)).set_gt_label(i % 10) for i in range(b)]
    data = dict(inputs=[list(v) for v in views], data_samples=samples)
    models, wrappers = {}, {}
    for name, cfg in learners.items():
        torch.manual_seed(0)  # the same two networks for every learner
        model = MODELS.build(dict(cfg, network=network, warmup_epochs=0, data_preprocessor=dict(
            num_classes=10, mean=[125.3, 123.0, 113.9], std=[63.0, 62.1, 66.7])))
        for n in model.networks:
            model.set_selection(n, Selection(trust=torch.rand(b)))
        model.train()
        models[name] = model
        wrappers[name] = CoTrainingOptimWrapperConstructor(
            dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)))(model)
    times = {name: [] for name in learners}
    for name in learners:  # warm-up
        models[name].train_step(data, wrappers[name])
    for r in range(args.repeats):
        order = list(learners) if r % 2 == 0 else list(reversed(learners))
        for name in order:
            models[name].set_progress(1, r, 1.0, 0)
            start = time.perf_counter()
            models[name].train_step(data, wrappers[name])
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times['RoLR'])
    for name in learners:
        ratios = [t / r for t, r in zip(times[name], times['RoLR'])]
        q = statistics.quantiles(ratios, n=4)
        print(f'{name:12s} median {statistics.median(times[name]) * 1000:7.1f} ms/iter  '
              f'vs RoLR x{statistics.median(ratios):.3f} (quartiles {q[0]:.3f}..{q[2]:.3f}; '
              f'ratio of medians {statistics.median(times[name]) / base:.3f})')


def negscale_loss_cost(args):
    import torch

    from mmnoisy.models.losses.negscale import negscale_loss
    from mmnoisy.taxonomy import build_taxonomy
    torch.set_num_threads(args.threads)
    dist = torch.as_tensor(build_taxonomy('cifar10').plca_matrix())
    g = torch.Generator().manual_seed(0)
    for b, d in ((128, 512), (448, 512), (448, 128)):
        feats = torch.rand(b, d, generator=g).requires_grad_()
        labels = torch.randint(0, 10, (b, ), generator=g)
        logits = torch.randn(b, 10, generator=g)
        for _ in range(2):  # warm-up
            negscale_loss(feats, logits, labels, dist)['loss'].backward()
        start = time.perf_counter()
        for _ in range(args.repeats):
            out = negscale_loss(feats, logits, labels, dist)
            out['loss'].backward()
        ms = (time.perf_counter() - start) / args.repeats * 1000
        print(f'B = {b}, d = {d}: {ms:.1f} ms forward + backward ({int(out["num_neg"])} negative, '
              f'{int(out["num_sim"])} related pairs)')


def similarity(args):
    sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
    from similarity_stats import main as stats_main
    rows = {}
    for name, config in METHODS.items():
        if args.methods and name not in args.methods:
            continue
        work_dir = osp.join(args.work_dir, harness.slug(name))
        ckpt = harness.last_checkpoint(work_dir)
        if ckpt is None:
            print(f'{name}: no checkpoint in {work_dir}')
            continue
        print(f'== {name} ({osp.basename(ckpt)})', flush=True)
        rows[name] = stats_main([osp.join(ROOT, config), ckpt, '--taxonomy', 'cifar10',
                                 '--cfg-options',
                                 f'test_dataloader.dataset.data_root={args.data_root}'])
    with open(osp.join(args.work_dir, 'similarity.json'), 'w') as f:
        json.dump(rows, f, indent=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='mode', required=True)
    acc = sub.add_parser('accuracy')
    acc.add_argument('data_root')
    acc.add_argument('--subset', type=int, default=10000)
    acc.add_argument('--epochs', type=int, default=15)
    acc.add_argument('--workers', type=int, default=2)
    acc.add_argument('--methods', nargs='*')
    acc.add_argument('--work-dir', default='work_dirs/bench_co_training')
    acc.add_argument('--widths', type=int, nargs=3,
                     help="the small CNN's channels (default: the configs' 32 64 128)")
    acc.add_argument('--no-crop-flip', action='store_true',
                     help='train without random crop and flip (as Co-teaching\'s CIFAR '
                     'protocol); the strong view keeps RandAugment + Cutout')
    dig = sub.add_parser('digits')
    dig.add_argument('--seeds', type=int, nargs='+', default=[1, 2, 3])
    dig.add_argument('--methods', nargs='*')
    dig.add_argument('--work-dir', default='work_dirs/bench_co_training_digits')
    ck = sub.add_parser('coteaching-kept')
    ck.add_argument('--offsets', type=int, nargs='+', default=[0, 1])
    ck.add_argument('--seed', type=int, default=1)
    ck.add_argument('--work-dir', default='work_dirs/bench_co_training_digits')
    mem = sub.add_parser('memorisation')
    mem.add_argument('data_root')
    mem.add_argument('--subset', type=int, default=10000)
    mem.add_argument('--work-dir', default='work_dirs/bench_co_training')
    it = sub.add_parser('iteration')
    it.add_argument('--batch', type=int, default=128)
    it.add_argument('--repeats', type=int, default=30)
    it.add_argument('--threads', type=int, default=1)
    it.add_argument('--network', choices=['smallcnn', 'preactresnet18'], default='smallcnn')
    it.add_argument('--learners', nargs='*', help='subset of the learners (RoLR is always run)')
    nl = sub.add_parser('negscale-loss')
    nl.add_argument('--repeats', type=int, default=10)
    nl.add_argument('--threads', type=int, default=1)
    sim = sub.add_parser('similarity')
    sim.add_argument('data_root')
    sim.add_argument('--methods', nargs='*')
    sim.add_argument('--work-dir', default='work_dirs/bench_co_training')
    args = parser.parse_args()
    {'accuracy': accuracy, 'digits': digits, 'memorisation': memorisation,
     'coteaching-kept': coteaching_kept,
     'iteration': iteration, 'similarity': similarity,
     'negscale-loss': negscale_loss_cost}[args.mode](args)


if __name__ == '__main__':
    main()
