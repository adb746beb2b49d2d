"""One table: every method on the same CPU-sized CIFAR-10 setting, under several noises.

    python tools/benchmark/bench_table.py DATA_ROOT [--subset 5000] [--epochs 20]
        [--noises sym50 sym80 asym40 ins40] [--methods CE DivideMix ...]
        [--widths 32 64 128] [--no-crop-flip] [--out table.md]

Each method's CPU-sized config (the small CNN; two of them for the co-training learners) is
trained on the first SUBSET training images under each noise (seed 1; the same noisy labels
for every method), for EPOCHS epochs with its schedule stretched to them, and tested on the
whole CIFAR-10 test set in the last 5 epochs. The table gives, per noise and method:

- top-1 accuracy, mean of the last 5 epochs (papers' protocol, k = 5);
- precision / recall of the trusted set in the last epoch where the method selects samples
  (net1's GMM or selection, against the true labels);
- F1 of the flagged samples for the detector (DynaCor, which also trains a classifier);
- cost: training seconds per epoch (validation excluded) relative to CE under the same
  noise, measured in this run.

DATA_ROOT holds cifar-10-batches-py/ (``python ../shared/data/make_cifar10.py DATA_ROOT``).
Everything lands in --work-dir (derived configs, logs, one METHOD.result.json per finished
cell, results.json); the markdown table is printed and written to --out. A cell whose result
is saved is not trained again (--force does), so a killed run resumes where it stopped; a cell
that another process is training is skipped, so two processes with the same arguments
(--threads 1 each on two cores) share the cells; a last call prints the whole table
(--report: only the cells saved so far, training nothing).
"""
import argparse
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

from tools.benchmark import harness  # noqa: E402

CE = 'configs/baselines/ce_smallcnn_cifar10_sym50.py'
# name: (config, extra config text appended to it)
METHODS = {
    'CE': (CE, ''),
    'SCE': (CE, "model = dict(head=dict(loss=dict(_delete_=True, type='SCELoss', alpha=0.1, "
                "beta=1.0)))\n"),
    'GCE': (CE, "model = dict(head=dict(loss=dict(_delete_=True, type='GCELoss', q=0.7)))\n"),
    'CE+HMW': (CE, "custom_hooks = [\n"
                   "    dict(type='SampleRecordHook', mode='online',\n"
                   "         signals=dict(cos_margin=1, cos_topk_margin=1)),\n"
                   "    dict(type='HMWHook', alpha=100.0, beta=100.0, warmup_epochs=5)]\n"),
    'Co-teaching': ('configs/coteaching/coteaching_smallcnn_cifar10_sym50.py', ''),
    'DivideMix': ('configs/dividemix/dividemix_smallcnn_cifar10_sym50.py', ''),
    'RoLR': ('configs/rolr/rolr_smallcnn_cifar10_sym50.py', ''),
    'CCL': ('configs/ccl/ccl_smallcnn_cifar10_sym50.py', ''),
    'RoLR+NegScale': ('configs/negscale/negscale_rolr_smallcnn_cifar10_sym50.py', ''),
    'VRLVMix': ('configs/vrlvmix/vrlvmix_smallcnn_cifar10_sym50.py', ''),
    'DynaCor': ('configs/dynacor/dynacor_smallcnn_1xb128-40e_cifar10-sym60.py', ''),
}
# harness.NOISES with seed 1; this table's symmetric noise never redraws the true class
NOISES = {name: harness.noise(name, seed=1, include_true_class=None)
          for name in ('sym50', 'sym80', 'asym40', 'ins40')}


def table_config(name, noise, args, path):
    """Write the config of one cell of the table to ``path`` and return it: the method's
    config with the noise, the data subset, the epochs (schedules stretched), the network
    width and the crop/flip choice of the table."""
    from mmengine.config import Config

    config, extra = METHODS[name]
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(f"_base_ = ['{osp.join(ROOT, config)}']\n{extra}")
    cfg = Config.fromfile(path)
    noisy = harness.noisy_dataset(cfg.train_dataloader.dataset)
    noisy.noise = dict(NOISES[noise])
    inner = noisy.dataset
    inner.data_root, inner.indices = args.data_root, args.subset
    for loader in ('val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = args.data_root
        cfg[loader].num_workers = args.workers
    cfg.train_dataloader.num_workers = args.workers
    old_epochs = cfg.train_cfg.max_epochs
    cfg.train_cfg.max_epochs, cfg.train_cfg.val_begin = args.epochs, max(args.epochs - 4, 1)
    schedulers = cfg.param_scheduler if isinstance(cfg.param_scheduler, list) else \
        [cfg.param_scheduler]
    for s in schedulers:
        if 'T_max' in s:
            s.T_max = args.epochs
        if 'milestones' in s:
            s.milestones = [max(1, round(m * args.epochs / old_epochs)) for m in s.milestones]
    # warm-ups (two-network learners, HMW) stay as configured up to a quarter of the run
    short = max(1, args.epochs // 4)
    if 'warmup_epochs' in cfg.model:
        cfg.model.warmup_epochs = min(cfg.model.warmup_epochs, short)
    for hook in cfg.get('custom_hooks', []):
        if isinstance(hook.get('warmup_epochs'), int):
            hook.warmup_epochs = min(hook.warmup_epochs, short)
    for key in ('val_evaluator', 'test_evaluator'):
        cfg[key].last_k = 5
    cfg.default_hooks.checkpoint.interval = 1000
    cfg.default_hooks.logger.interval = 50
    harness.reshape(cfg, config, args.widths, args.no_crop_flip)
    cfg.dump(path)
    return path


def _setting(args):
    """What a cell's result depends on besides its method and noise."""
    return dict(data_root=args.data_root, subset=args.subset, epochs=args.epochs,
                widths=list(args.widths) if args.widths else None,
                no_crop_flip=args.no_crop_flip, threads=args.threads)


def _cell_dir(name, noise, args):
    return osp.join(args.work_dir, noise, harness.slug(name))


def saved_result(name, noise, args):
    """The saved result of a cell (None if it has none); one measured with another setting
    is refused."""
    return harness.saved_cell(_cell_dir(name, noise, args) + '.result.json', _setting(args))


def measure(name, noise, args):
    """Train one cell of the table and read what it measured."""
    work_dir = _cell_dir(name, noise, args)
    config = table_config(name, noise, args, work_dir + '_config.py')
    run = harness.train(config, work_dir, threads=args.threads, name=f'{name} {noise}')
    detection = harness.detection_summary(work_dir)
    return dict(top1_last5=run['mean_last_k'], selection=harness.selection_quality(work_dir),
                detection_f1=detection['dynacor'].get('f1') if detection else None,
                seconds_per_epoch=run['train_seconds_per_epoch'])


def run_cell(name, noise, args):
    """Train one cell and write its result to ``WORK_DIR/NOISE/METHOD.result.json`` at once,
    so an interrupted table resumes where it stopped. A cell another process is training (its
    lock file) is skipped (None), so several processes given the same arguments share the
    cells between them."""
    return harness.run_cell(_cell_dir(name, noise, args), _setting(args),
                            lambda: measure(name, noise, args), label=f'{noise:7s} {name:14s}')


def _fmt(value, scale=1.0, digits=1):
    return '-' if value is None else f'{scale * value:.{digits}f}'


def markdown(results, args):
    lines = [f'CIFAR-10, first {args.subset} training images, small CNN '
             f'{tuple(args.widths) if args.widths else "(32, 64, 128)"}, {args.epochs} epochs'
             f'{", no crop/flip" if args.no_crop_flip else ""}; top-1 = mean of the last 5 '
             'epochs on the whole test set; selection = precision / recall of the trusted '
             "set (net1, last epoch); F1 = DynaCor's flags; cost = seconds per epoch / CE's.",
             '',
             '| noise | method | top-1 | selection P / R | detection F1 | cost vs CE |',
             '|---|---|---|---|---|---|']
    for noise, rows in results.items():
        base = rows.get('CE', {}).get('seconds_per_epoch')
        for name, r in rows.items():
            sel = r['selection']
            sel = '-' if sel is None else \
                f"{_fmt(sel['precision'], 100)} / {_fmt(sel['recall'], 100)}"
            cost = '-' if not base else f"{r['seconds_per_epoch'] / base:.2f}"
            lines.append(f"| {noise} | {name} | {r['top1_last5']:.2f} | {sel} | "
                         f"{_fmt(r['detection_f1'], 100)} | {cost} |")
    return '\n'.join(lines) + '\n'


def pivot(results):
    """The top-1 column as one row per method and one column per noise (the README's table);
    '-' for a cell not measured."""
    noises = list(results)
    methods = list(dict.fromkeys(m for rows in results.values() for m in rows))
    lines = ['| method | ' + ' | '.join(noises) + ' |', '|---' * (len(noises) + 1) + '|']
    for m in methods:
        cells = [f"{results[n][m]['top1_last5']:.2f}" if m in results[n] else '-'
                 for n in noises]
        lines.append(f'| {m} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('data_root')
    parser.add_argument('--subset', type=int, default=5000)
    parser.add_argument('--epochs', type=int, default=20)
    parser.add_argument('--noises', nargs='+', choices=list(NOISES), default=list(NOISES))
    parser.add_argument('--methods', nargs='+', choices=list(METHODS), default=list(METHODS))
    parser.add_argument('--widths', type=int, nargs=3)
    parser.add_argument('--no-crop-flip', action='store_true')
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--threads', type=int, default=2, help='OMP threads per run')
    parser.add_argument('--work-dir', default='work_dirs/bench_table')
    parser.add_argument('--out', help='also write the markdown table here')
    parser.add_argument('--report', action='store_true',
                        help='train nothing: the table of the cells saved in --work-dir')
    parser.add_argument('--force', action='store_true',
                        help='train every cell again instead of reusing saved results')
    args = parser.parse_args(argv)
    if 'CE' not in args.methods:
        args.methods = ['CE'] + args.methods  # the cost column is relative to CE
    args.data_root = osp.abspath(args.data_root)
    return args


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    results, skipped = {}, []
    for noise in args.noises:
        for name in args.methods:
            r = None if args.force else saved_result(name, noise, args)
            saved = r is not None
            if r is None and not args.report:  # --report: saved cells only
                r = run_cell(name, noise, args)
            if r is None:
                skipped.append((noise, name))
                continue
            results.setdefault(noise, {})[name] = r
            print(f'{noise:7s} {name:14s} top-1 {r["top1_last5"]:6.2f}  selection '
                  f'{r["selection"]}  detection F1 {r["detection_f1"]}  '
                  f'{r["seconds_per_epoch"]:.1f} s/epoch'
                  + ('  (saved result)' if saved else ''), flush=True)
    # cells another process trained meanwhile: the table holds every cell saved by now
    for noise, name in skipped:
        r = saved_result(name, noise, args)
        if r is not None:
            results.setdefault(noise, {})[name] = r
    results = {noise: {name: results[noise][name] for name in args.methods
                       if name in results.get(noise, {})}
               for noise in args.noises if noise in results}
    harness.write_table(args.work_dir, dict(args=vars(args), results=results),
                        markdown(results, args) + '\n' + pivot(results), args.out)
    return results


if __name__ == '__main__':
    main()
