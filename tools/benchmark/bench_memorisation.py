"""The methods where plain CE memorises the noise: Fashion-MNIST, a CPU-sized setting.

    python tools/benchmark/bench_memorisation.py [--data-root /usr/share/datasets/fashion-mnist]
        [--subset 4000] [--epochs 40] [--warmup 4] [--seeds 1 2] [--threads 1]
        [--noises sym50 sym80 asym40] [--methods CE DivideMix ...] [--work-dir DIR] [--report]

Each method runs its *published CIFAR-10 config for that noise* (its learner, loss, optimiser,
lr, batch size, views and every hyper-parameter), changed only where the setting demands, the
same way for all (``fashion_setting``):

- data: the first SUBSET Fashion-MNIST training images, tested on the 10,000 test images after
  every epoch; crops of 28 instead of 32 (padding as configured); Fashion-MNIST's mean / std;
- network: the same small CNN for every method (``configs/_base_/models/small_cnn_mlp.py``: 3
  conv blocks 32-64-128, max-pooling to 3x3, a 1152-256 fully connected layer, the method's
  linear head), which fits the wrong labels within the run (docs/benchmarks.md);
- length: EPOCHS epochs; step schedules' milestones at the same fractions of the run; every
  warm-up (the learners', HMW's, Co-teaching's forget-rate ramp) WARMUP epochs;
- noise: the same noisy labels for every method of a cell (its seed = the run's seed); NegScale's
  taxonomy is Fashion-MNIST's (``fashion_mnist``);
- no self-supervised encoder: VRLVMix's SCAN settings (sym 80 / 90) need a SimCLR encoder of the
  dataset (500 epochs of pretraining); they run without SCAN, balancing on network B's
  features, as its settings without SCAN do (``_without_encoder``).

Seed 1 runs the whole plan (``PLAN``); further seeds the close comparisons at sym 50%
(``COMPARED``: the plug-ins and successors and their bases) and DynaCor's detection cells, unless
--methods names others. Each cell (noise x method x seed) reports top-1 of the last epoch, the mean of the last 10, the
best epoch, how much of the noise the final model fits (``harness.fitted_noise``), the
selection's precision / recall where the method selects, and the training seconds per epoch
(validation excluded) relative to CE's in the same noise and seed. A cell's result is saved
as soon as it is measured (WORK_DIR/NOISE/METHOD_seedS.result.json); a killed table resumes
where it stopped; two processes given the same arguments share the cells (--threads 1 each on
two cores). --report prints the saved cells only.
"""
import argparse
import os
import os.path as osp
import statistics
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

from tools.benchmark import harness  # noqa: E402

FASHION_MNIST = '/usr/share/datasets/fashion-mnist'
FASHION_MEAN, FASHION_STD = [72.94], [90.02]  # of the 60,000 training images, 0-255 scale
NUM_CLASSES = 10
NETWORK = 'configs/_base_/models/small_cnn_mlp.py'

# name: published CIFAR-10 config ({noise}: the noise's tag), and what the method adds to it
METHODS = {
    'CE (clean)': ('configs/hmw/ce_preactresnet18_1xb128-250e_cifar10-sym50.py', {}),
    'CE': ('configs/hmw/ce_preactresnet18_1xb128-250e_cifar10-{noise}.py', {}),
    'CE+HMW': ('configs/hmw/hmw-ce_preactresnet18_1xb128-250e_cifar10-{noise}.py', {}),
    'Co-teaching': ('configs/coteaching/coteaching_smallcnn_cifar10_sym50.py',
                    {'forget_rate': 'noise'}),
    'DivideMix': ('configs/dividemix/dividemix_preactresnet18_1xb64-300e_cifar10-{noise}.py', {}),
    'RoLR': ('configs/rolr/rolr_preactresnet18_1xb448-515e_cifar10-{noise}.py', {}),
    'CCL': ('configs/ccl/ccl_resnet18_1xb128-500e_cifar10-{noise}.py', {}),
    'RoLR+NegScale': (
        'configs/negscale/negscale_rolr_preactresnet18_1xb448-515e_cifar10-{noise}.py', {}),
    'UNICON': ('configs/unicon/unicon_preactresnet18_1xb64-250e_cifar10-{noise}.py', {}),
    'UNICON+HMW': ('configs/unicon/hmw-unicon_preactresnet18_1xb64-250e_cifar10-{noise}.py', {}),
    'VRLVMix': ('configs/vrlvmix/vrlvmix_preactresnet18_1xb64-300e_cifar10-{noise}.py', {}),
    # detection: DynaCor's run (corrupted copies, the record) scores every detector at once
    'DynaCor': ('configs/dynacor/dynacor_resnet34_1xb128-100e_cifar10-{noise}.py', {}),
}
# the noisy labels of a cell (seed: the run's); symmetric noise as DivideMix's code draws it
# (the new label may be the true one), as the published configs do
# harness.NOISES (DynaCor's sym60 / pair30 / ins40 as its configs draw them); asymmetric noise
# with Fashion-MNIST's class mapping
NOISES = {name: harness.noise(name) for name in ('clean', 'sym50', 'sym80', 'asym40', 'sym60',
                                                 'pair30', 'ins40')}
NOISES['asym40'] = harness.noise('asym40', mapping='fashion_mnist')
# what the table runs by default (the targets): noise -> methods
PLAN = {
    'sym50': ['CE (clean)', 'CE', 'CE+HMW', 'Co-teaching', 'DivideMix', 'RoLR', 'CCL',
              'RoLR+NegScale', 'UNICON', 'UNICON+HMW', 'VRLVMix'],
    'sym80': ['CE', 'Co-teaching', 'DivideMix', 'RoLR', 'CCL', 'UNICON', 'VRLVMix'],
    'asym40': ['CE', 'DivideMix'],
    'sym60': ['DynaCor'],
    'pair30': ['DynaCor'],
    'ins40': ['DynaCor'],
}
# further seeds go where a comparison is close: the plug-ins and successors against their bases
COMPARED = ('CE', 'CE+HMW', 'DivideMix', 'VRLVMix', 'RoLR', 'CCL', 'RoLR+NegScale', 'UNICON',
            'UNICON+HMW')
DETECTORS = ('dynacor', 'aum', 'gmm', 'cl')  # reported (F1 of the flags)


def _crop28(t):
    if t.get('type') == 'RandomCrop' and t.get('crop_size') == 32:
        t['crop_size'] = 28


def fashion_setting(cfg, *, data_root, subset, epochs, warmup, noise, seed, widths=None,
                    crop_flip=True):
    """Turn the loaded published config ``cfg`` into its Fashion-MNIST cell (in place); see the
    module's docstring for what changes."""
    from mmengine.config import Config
    net_cfg = Config.fromfile(osp.join(ROOT, NETWORK)).model
    if widths:
        net_cfg.backbone.widths = tuple(widths)
        net_cfg.neck.in_channels = widths[-1] * 9
    model = cfg.model
    net = model.network if 'network' in model else model
    net.backbone = net_cfg.backbone
    net.neck = net_cfg.neck
    net.head.in_channels = net_cfg.neck.out_channels
    net.head.num_classes = NUM_CLASSES
    for aux in model.get('aux_losses') or []:
        if aux.get('taxonomy') == 'cifar10':
            aux.taxonomy = 'fashion_mnist'
    _without_encoder(cfg)
    for holder in (cfg, model):
        if holder.get('data_preprocessor'):
            pre = holder.data_preprocessor
            pre.mean, pre.std, pre.num_classes = FASHION_MEAN, FASHION_STD, NUM_CLASSES
            pre.pop('to_rgb', None)
    # data
    noisy = harness.noisy_dataset(cfg.train_dataloader.dataset)
    noisy.noise = dict(NOISES[noise])
    if noisy.noise['type'] != 'none':
        noisy.noise['seed'] = seed
    inner = noisy.dataset
    harness.walk_dicts(inner.pipeline, _crop28)
    if not crop_flip:
        inner.pipeline = harness.drop_transforms(inner.pipeline, ('RandomCrop', 'RandomFlip'))
    noisy.dataset = dict(type='FashionMNIST', data_root=data_root, split='train',
                         indices=subset, pipeline=inner.pipeline)
    test = dict(type='FashionMNIST', data_root=data_root, split='test',
                pipeline=[dict(type='PackNoisyInputs')])
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].num_workers = 0
        cfg[key].persistent_workers = False
        if key != 'train_dataloader':
            cfg[key].dataset = test
    # length
    old = cfg.train_cfg.max_epochs
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = 1
    cfg.train_cfg.pop('val_begin', None)
    schedulers = cfg.param_scheduler if isinstance(cfg.param_scheduler, list) else \
        [cfg.param_scheduler]
    for s in schedulers:
        if 'T_max' in s:
            s.T_max = epochs
        if 'milestones' in s:
            s.milestones = [max(1, round(m * epochs / old)) for m in s.milestones]
        for key in ('begin', 'end'):
            if isinstance(s.get(key), int) and s[key] > 0:
                s[key] = max(1, round(s[key] * epochs / old))
    if model.get('warmup_epochs'):  # a learner without warm-up (0) keeps none
        model.warmup_epochs = warmup
    if 'num_gradual' in model:  # Co-teaching's forget-rate ramp (its paper's T_k)
        model.num_gradual = warmup
    for hook in cfg.get('custom_hooks') or []:
        if isinstance(hook.get('warmup_epochs'), int) and hook.warmup_epochs > 0:
            hook.warmup_epochs = warmup
    for key in ('val_evaluator', 'test_evaluator'):
        cfg[key].last_k = 10
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=epochs,
                                        max_keep_ckpts=1, save_last=True)
    cfg.default_hooks.logger.interval = 50
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.load_from = None
    return cfg


def _without_encoder(cfg):
    """VRLVMix's SCAN settings (sym 80 / 90) start both networks from a SimCLR encoder of the
    dataset and take SCAN's neighbours and the balancing features from it: files made by 500
    epochs of self-supervised training, which the benchmark does not run. The network is
    replaced anyway (no encoder to load); here SCAN is dropped and the balancing uses network
    B's pooled features from the record pass, as the settings without SCAN do (the paper's
    Table IV 'w/o SCAN')."""
    if not cfg.model.get('scan'):
        return
    cfg.model.scan = None
    for hook in cfg.get('custom_hooks') or []:
        if hook.type == 'VRLVSelectionHook':
            hook.features = 'record'
        if hook.type == 'SampleRecordHook':
            hook.signals = dict(hook.get('signals') or {}, feature=1)


def noise_rate(noise):
    """The rate Co-teaching forgets (its paper: the noise rate; for symmetric noise that may
    keep the true label, the share actually wrong)."""
    spec = NOISES[noise]
    rate = spec.get('rate', 0.0)
    if spec.get('include_true_class'):
        rate *= 1 - 1 / NUM_CLASSES  # 1 redraw in NUM_CLASSES gives the true label back
    return rate


def cell_config(name, noise, seed, args, path):
    """Write the derived config of one cell to ``path``."""
    from mmengine.config import Config
    template, extra = METHODS[name]
    source = template.format(noise='sym50' if noise == 'clean' else noise)
    if not osp.exists(osp.join(ROOT, source)):
        raise SystemExit(f'{name} has no published config for {noise} ({source})')
    cfg = Config.fromfile(osp.join(ROOT, source))
    fashion_setting(cfg, data_root=args.data_root, subset=args.subset, epochs=args.epochs,
                    warmup=args.warmup, noise='clean' if name == 'CE (clean)' else noise,
                    seed=seed, widths=args.widths, crop_flip=args.crop_flip)
    if extra.get('forget_rate') == 'noise':
        cfg.model.forget_rate = noise_rate(noise)
    os.makedirs(osp.dirname(path), exist_ok=True)
    cfg.dump(path)
    return path, source


def setting(args):
    """What a cell's result depends on besides its method, noise and seed."""
    return dict(data_root=args.data_root, subset=args.subset, epochs=args.epochs,
                warmup=args.warmup, widths=list(args.widths) if args.widths else None,
                crop_flip=args.crop_flip, threads=args.threads)


def cell_dir(name, noise, seed, args):
    return osp.join(args.work_dir, noise, f'{harness.slug(name)}_seed{seed}')


def measure(name, noise, seed, args):
    """Train one cell and measure it."""
    work_dir = cell_dir(name, noise, seed, args)
    config, source = cell_config(name, noise, seed, args, work_dir + '_config.py')
    run = harness.train(config, work_dir, threads=args.threads, name=f'{name} {noise} {seed}')
    detection = harness.detection_summary(work_dir)
    # a detection run trains on the data and its corrupted copies: its fit is not comparable
    fit = None if detection else harness.fitted_noise(work_dir, config)
    return dict(source=source, top1_last=run['last'], top1_last10=run['mean_last_k'],
                best=run['best'], best_epoch=run['best_epoch'], accuracy=run['accuracy'],
                seconds_per_epoch=run['train_seconds_per_epoch'], fitted=fit,
                selection=harness.selection_quality(work_dir),
                detection=detection and {m: detection[m] for m in DETECTORS if m in detection})


def _pct(v):
    return '-' if v is None else f'{100 * v:.1f}'


def _mean(values):
    values = [v for v in values if v is not None]
    return statistics.mean(values) if values else None


def markdown(results, args):
    """Two tables: accuracy per noise and method (mean over seeds, then each seed), and the
    detectors' F1 in DynaCor's runs."""
    lines = [f'Fashion-MNIST, first {args.subset} training images, small CNN with a fully '
             f'connected layer, {args.epochs} epochs ({args.warmup} warm-up)'
             f'{"" if args.crop_flip else ", no random crop / flip"}; top-1 on the 10,000 '
             'test images: last epoch, mean of the last 10, best epoch (mean over seeds; '
             'then each seed\'s last epoch); fits = share of the wrong labels the final model '
             'predicts as given; selection = precision / recall of the trusted set (last '
             'epoch); cost = training seconds per epoch / CE\'s (same noise and seed).', '',
             '| noise | method | top-1 last | top-1 last-10 | best (epochs) | fits wrong '
             'labels | selection P / R | cost vs CE | seeds: last |',
             '|---|---|---|---|---|---|---|---|---|']
    detection = []
    for noise, rows in results.items():
        for name, cells in rows.items():
            seeds = sorted(cells)
            if cells[seeds[0]].get('detection'):
                detection.append((noise, cells))
                continue
            mean = (lambda key: statistics.mean(cells[s][key] for s in seeds))
            base = [results[noise].get('CE', {}).get(s) for s in seeds]
            cost = _mean(cells[s]['seconds_per_epoch'] / b['seconds_per_epoch']
                         for s, b in zip(seeds, base) if b)
            sel = [cells[s]['selection'] for s in seeds if cells[s]['selection']]
            sel = '-' if not sel else (
                f"{_pct(_mean(x['precision'] for x in sel))} / "
                f"{_pct(_mean(x['recall'] for x in sel))}")
            fits = _mean((cells[s]['fitted'] or {}).get('wrong_fitted') for s in seeds)
            per_seed = ', '.join(f"{cells[s]['top1_last']:.2f}" for s in seeds)
            epochs = '/'.join(str(cells[s]['best_epoch']) for s in seeds)
            lines.append(
                f"| {noise} | {name} | {mean('top1_last'):.2f} | {mean('top1_last10'):.2f} | "
                f"{mean('best'):.2f} ({epochs}) | {_pct(fits)} | {sel} | "
                f"{'-' if cost is None else f'{cost:.2f}'} | {len(seeds)}: {per_seed} |")
    if detection:
        lines += ['', 'Detection: F1 (%) of the samples each detector flags, in DynaCor\'s '
                  'run (the data and its corrupted copy), mean over seeds.', '',
                  '| noise | seeds | ' + ' | '.join(DETECTORS) + ' |',
                  '|---|---|' + '---|' * len(DETECTORS)]
        for noise, cells in detection:
            seeds = sorted(cells)
            f1 = [_pct(_mean(cells[s]['detection'].get(m, {}).get('f1') for s in seeds))
                  for m in DETECTORS]
            lines.append(f'| {noise} | {len(seeds)} | ' + ' | '.join(f1) + ' |')
    return '\n'.join(lines) + '\n'


def pivot(results):
    """The README's table: one row per method, one column per noise, 'last (last-10)' as the
    mean over seeds; detection cells left out, '-' where not measured."""
    noises = [n for n, rows in results.items()
              if any(not cells[min(cells)].get('detection') for cells in rows.values())]
    if not noises:
        return ''   # detection cells only
    methods = list(dict.fromkeys(m for n in noises for m in results[n]))
    lines = ['| method | ' + ' | '.join(noises) + ' |', '|---' * (len(noises) + 1) + '|']
    for m in methods:
        row = []
        for n in noises:
            cells = results[n].get(m)
            row.append('-' if not cells else
                       f"{statistics.mean(c['top1_last'] for c in cells.values()):.2f} "
                       f"({statistics.mean(c['top1_last10'] for c in cells.values()):.2f})")
        lines.append(f'| {m} | ' + ' | '.join(row) + ' |')
    return '\n'.join(lines) + '\n'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--data-root', default=FASHION_MNIST)
    parser.add_argument('--subset', type=int, default=4000)
    parser.add_argument('--epochs', type=int, default=40)
    parser.add_argument('--warmup', type=int, default=4)
    parser.add_argument('--seeds', type=int, nargs='+', default=[1])
    parser.add_argument('--noises', nargs='+', choices=list(PLAN), default=list(PLAN))
    parser.add_argument('--methods', nargs='+', choices=list(METHODS))
    parser.add_argument('--widths', type=int, nargs=3)
    parser.add_argument('--crop-flip', action='store_true',
                        help='keep the random crop / flip of every view (default: none, '
                        'strong views keep their RandAugment / AutoAugment and Cutout; with '
                        'them CE does not memorise in 40 epochs, docs/benchmarks.md)')
    parser.add_argument('--threads', type=int, default=1, help='OMP threads per run')
    parser.add_argument('--work-dir', default='work_dirs/bench_memorisation')
    parser.add_argument('--out', help='also write the markdown table here')
    parser.add_argument('--report', action='store_true',
                        help='train nothing: the table of the cells saved in --work-dir')
    args = parser.parse_args(argv)
    args.data_root = osp.abspath(args.data_root)
    return args


def plan_for_seed(noise, seed):
    """The methods a seed runs under ``noise``: seed 1 the whole plan; further seeds, at sym 50%,
    the methods of the close comparisons (``COMPARED``) and, for detection, DynaCor."""
    if seed == 1:
        return PLAN[noise]
    if noise == 'sym50':
        return [m for m in PLAN[noise] if m in COMPARED]
    return [m for m in PLAN[noise] if m == 'DynaCor']


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    cells = [(noise, name, seed) for seed in args.seeds for noise in args.noises
             for name in PLAN[noise] if name in (args.methods or plan_for_seed(noise, seed))]
    results = {}
    for _ in range(2):  # the second pass collects cells other processes finished meanwhile
        for noise, name, seed in cells:
            if seed in results.get(noise, {}).get(name, {}):
                continue
            path = cell_dir(name, noise, seed, args)
            r = harness.saved_cell(path + '.result.json', setting(args))
            if r is None and not args.report:
                r = harness.run_cell(path, setting(args),
                                     lambda: measure(name, noise, seed, args),
                                     label=f'{noise} {name} seed {seed}')
            if r is None:
                continue
            results.setdefault(noise, {}).setdefault(name, {})[seed] = r
            fits = _pct((r['fitted'] or {}).get('wrong_fitted'))
            print(f"{noise:7s} {name:14s} seed {seed}: top-1 last {r['top1_last']:.2f}, "
                  f"last-10 {r['top1_last10']:.2f}, best {r['best']:.2f} (epoch "
                  f"{r['best_epoch']}), fits {fits}% of the wrong labels, "
                  f"{r['seconds_per_epoch']:.1f} s/epoch"
                  + (f", detection {r['detection']}" if r.get('detection') else ''), flush=True)
    ordered = {noise: {name: results[noise][name] for name in PLAN[noise]
                       if name in results.get(noise, {})}
               for noise in PLAN if noise in results}
    harness.write_table(args.work_dir, dict(setting=setting(args), results=ordered),
                        markdown(ordered, args) + '\n' + pivot(ordered), args.out)
    return ordered


if __name__ == '__main__':
    main()
