"""Find the mislabelled samples of a training set.

    python tools/detect_noisy_labels.py CONFIG [--method dynacor aum avg_encoder gmm cl iam]
    python tools/detect_noisy_labels.py WORK_DIR [--method ...]     # no training

With a config, the classifier the config describes is trained once (with DynaCor's 10%
label-corrupted copies added to the training set when 'dynacor' or 'aum' is asked for; the
config's own noise, model and schedule are kept) while the per-sample record collects what the
detectors read; then every method runs. With the work dir of such a run (one that has
``noisy_label_detection/inputs.npz``) the detectors run again on what was recorded, e.g. with
other DynaCor settings, in seconds.

Written to ``{work_dir}/noisy_label_detection/``: ``{method}_suspects.csv`` (sample_index,
given_label, score, flag; higher score = more likely mislabelled), ``summary.json`` and
``scores.png`` (score distributions). With known clean labels (synthetic noise) precision,
recall, F1 (mislabelled = positive) and AUROC are printed.
"""
import argparse
import os
import os.path as osp
import shutil
import sys

import numpy as np
from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

from mmnoisy.detection import DETECTORS  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('source', help='a training config, or the work dir of a finished run')
    parser.add_argument('--method', nargs='+', choices=list(DETECTORS), default=None,
                        help='detectors to run (default with a config: dynacor aum '
                        'avg_encoder gmm cl; with a work dir: every one its record allows): '
                        + '; '.join(f'{m}: {d.doc}' for m, d in DETECTORS.items()))
    parser.add_argument('--work-dir', help='where to train (config mode)')
    parser.add_argument('--gamma', type=float, default=0.1,
                        help="DynaCor's corruption rate: copies = gamma * N (default 0.1)")
    parser.add_argument('--aug', choices=['border_crop', 'hflip'], default='border_crop',
                        help="the copies' augmentation")
    parser.add_argument('--crop', type=int, default=4,
                        help='pixels border_crop cuts off each side (default 4, CIFAR)')
    parser.add_argument('--alpha', type=float, default=None,
                        help="weight of DynaCor's alignment loss (default 0.5)")
    parser.add_argument('--encoder-epochs', type=int, default=None,
                        help="epochs of DynaCor's encoder (default 15)")
    parser.add_argument('--seed', type=int, default=0, help='seed of the copies and encoder')
    parser.add_argument('--out', help='also copy the first method\'s suspects CSV here')
    parser.add_argument('--no-plot', action='store_true', help='do not write scores.png')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings (config mode), as tools/train.py')
    return parser.parse_args(argv)


def dynacor_args(args):
    out = dict(seed=args.seed)
    if args.alpha is not None:
        out['alpha'] = args.alpha
    if args.encoder_epochs is not None:
        out['epochs'] = args.encoder_epochs
    return out


def prepare_config(cfg, args, methods):
    """Add what detection needs to a training config: copies, the record, the hook."""
    from mmnoisy.detection import required_signals
    train_ds = cfg.train_dataloader.dataset
    needs_copies = any(DETECTORS[m].needs_copies for m in methods)
    if needs_copies and train_ds.get('type') != 'CorruptedCopyDataset':
        cfg.train_dataloader.dataset = dict(type='CorruptedCopyDataset', dataset=train_ds,
                                            gamma=args.gamma, aug=args.aug, crop=args.crop,
                                            seed=args.seed)
    need = required_signals(methods)
    hooks = [h for h in cfg.get('custom_hooks', []) or []
             if h.get('type') != 'NoisyLabelDetectionHook']
    record = [h for h in hooks if h.get('type') == 'SampleRecordHook']
    if record:
        signals = dict(record[0].get('signals', {}))
        for k, v in need.items():
            if k not in signals or v is None:
                signals[k] = v
        record[0]['signals'] = signals
    else:
        hooks.append(dict(type='SampleRecordHook', mode='online', signals=need))
    hooks.append(dict(type='NoisyLabelDetectionHook', methods=list(methods),
                      dynacor=dynacor_args(args), copy_loss='concat'))
    cfg.custom_hooks = hooks
    return cfg


def is_noisy_of_originals(labels, clean_labels, is_copy):
    """Truth of "mislabelled" for the original rows, or None when the clean labels are unknown."""
    if clean_labels is None:
        return None
    orig = np.ones(len(labels), bool) if is_copy is None else ~np.asarray(is_copy, bool)
    return (np.asarray(labels) != np.asarray(clean_labels))[orig]


def train_and_detect(args, methods):
    from mmnoisy.datasets import training_label_info
    from mmnoisy.utils.tools import build_runner, load_config
    from tools.train import merge_args
    from tools.train import parse_args as train_args
    work_dir = args.work_dir or osp.join(
        './work_dirs', 'detect_' + osp.splitext(osp.basename(args.source))[0])
    # the config as tools/train.py would run it, with this tool's overrides
    targs = train_args([args.source, '--work-dir', work_dir])
    targs.cfg_options = args.cfg_options
    cfg = prepare_config(merge_args(load_config(args.source), targs), args, methods)
    runner = build_runner(cfg)
    runner.logger.info(f'detecting mislabelled samples with {", ".join(methods)}; training '
                       f'the classifier for {runner.max_epochs} epochs first')
    runner.train()
    hook = [h for h in runner.hooks if type(h).__name__ == 'NoisyLabelDetectionHook'][0]
    return (cfg.work_dir, hook.results,
            is_noisy_of_originals(*training_label_info(runner.train_dataloader.dataset)))


def detect_from_work_dir(args, methods):
    from mmnoisy.detection import (DetectionInputs, format_metrics, run_detectors,
                                   write_results)
    path = osp.join(args.source, 'noisy_label_detection', 'inputs.npz')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found: give a training config, or the work dir '
                                'of a run with NoisyLabelDetectionHook')
    inputs, clean = DetectionInputs.load(path)
    available = inputs.available()
    methods = methods or available
    missing = [m for m in methods if m not in available]
    if missing:
        raise ValueError(f'{args.source} did not record what {missing} need; it allows '
                         f'{available}')
    orig = ~inputs.is_copy
    is_noisy = is_noisy_of_originals(inputs.labels, clean, inputs.is_copy)

    def progress(epoch, total, metric, loss):
        print(f'  DynaCor encoder epoch {epoch}/{total}: validation metric {metric:.3e}, '
              f'loss {loss:.4f}', flush=True)

    results = run_detectors(methods, inputs, is_noisy, dynacor=dynacor_args(args),
                            progress=progress)
    write_results(osp.join(args.source, 'noisy_label_detection'), results, inputs.labels[orig])
    for m, res in results.items():
        print(f'{m}: {format_metrics(res)}')
    return args.source, results, is_noisy


def plot_scores(path, results, is_noisy=None):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(results), figsize=(4 * len(results), 3.2), squeeze=False)
    for ax, (m, res) in zip(axes[0], results.items()):
        scores = res['scores']
        bins = np.linspace(scores.min(), scores.max() + 1e-12, 40)
        groups = ([(~is_noisy, 'clean'), (is_noisy, 'mislabelled')] if is_noisy is not None
                  else [(~res['flags'], 'not flagged'), (res['flags'], 'flagged')])
        for mask, name in groups:
            ax.hist(scores[mask], bins=bins, alpha=0.6, label=f'{name} ({int(mask.sum())})')
        f1 = res['metrics'].get('f1')
        ax.set_title(m + (f'  F1 {f1:.3f}' if f1 is not None else ''))
        ax.set_xlabel('score (higher = more likely mislabelled)')
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path + '.tmp.png', dpi=90)
    plt.close(fig)
    os.replace(path + '.tmp.png', path)
    return path


def summary_table(results):
    lines = [f"{'method':<12} {'flagged':>8} {'precision':>9} {'recall':>7} {'F1':>7} "
             f"{'AUROC':>7}"]
    for m, res in results.items():
        met = res['metrics']

        def fmt(k):
            v = met.get(k)
            return 'n/a' if v is None else f'{100 * v:.2f}'
        lines.append(f"{m:<12} {met['num_flagged']:>8} {fmt('precision'):>9} "
                     f"{fmt('recall'):>7} {fmt('f1'):>7} {fmt('auroc'):>7}")
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    if not 0 < args.gamma <= 1:
        raise SystemExit(f'--gamma must be in (0, 1], got {args.gamma}')
    if osp.isdir(args.source):
        work_dir, results, is_noisy = detect_from_work_dir(args, args.method)
    elif osp.isfile(args.source):
        methods = args.method or ['dynacor', 'aum', 'avg_encoder', 'gmm', 'cl']
        work_dir, results, is_noisy = train_and_detect(args, methods)
    else:
        raise SystemExit(f'{args.source} is neither a config file nor a work dir')
    out_dir = osp.join(work_dir, 'noisy_label_detection')
    print('\n' + summary_table(results))
    if is_noisy is None:
        print('(clean labels unknown: no precision / recall / F1)')
    if not args.no_plot:
        print(f"score distributions: {plot_scores(osp.join(out_dir, 'scores.png'), results, is_noisy)}")
    first = next(iter(results))
    print(f'suspects: {out_dir}/{{{",".join(results)}}}_suspects.csv '
          f"({results[first]['metrics']['num_flagged']} flagged by {first})")
    if args.out:
        shutil.copyfile(osp.join(out_dir, f'{first}_suspects.csv'), args.out)
        print(f'copied {first} suspects to {args.out}')
    return results


if __name__ == '__main__':
    try:
        main()
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        raise SystemExit(f'detect_noisy_labels: {err}')
    from mmnoisy.utils.tools import shutdown_distributed
    shutdown_distributed()
