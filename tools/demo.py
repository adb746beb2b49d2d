"""What mmnoisy does, in a few minutes on a CPU: CE and a noise-robust method trained side by
side on the same noisy labels, and the label errors found.

    python tools/demo.py [--method DivideMix] [--epochs N]

The training set (scikit-learn's 8x8 digits: 1,347 training and 450 test images, offline) gets
40% symmetric label noise (seed 1, the same labels for every run). Then

1. CE (a small CNN) is trained on it,
2. the robust method (default DivideMix: two small CNNs) is trained on the same labels,
3. tools/detect_noisy_labels.py trains once more with DynaCor's corrupted copies and flags the
   samples whose label is wrong,

and a table gives both test accuracies (mean of the last 10 epochs, the papers' protocol) and the
detector's precision / recall / F1 against the true labels. Everything lands in
``work_dirs/demo/`` (logs, checkpoints, noisy labels, suspects CSV).
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

METHODS = {'DivideMix': 'dividemix', 'Co-teaching': 'coteaching', 'RoLR': 'rolr',
           'CCL': 'ccl', 'UNICON': 'unicon', 'CE+HMW': 'hmw_ce'}


def _run(cmd, log_path):
    """Run a tool of this checkout; its output goes to ``log_path``; exit with the tail of
    the log when it fails."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    with open(log_path, 'w') as log:
        proc = subprocess.run([sys.executable] + cmd, cwd=ROOT, stdout=log,
                              stderr=subprocess.STDOUT, env=env)
    if proc.returncode:
        with open(log_path) as f:
            sys.stderr.write(f.read()[-3000:])
        raise SystemExit(f'demo step failed: {" ".join(cmd)} (log: {log_path})')


def _last_scalars(work_dir):
    """The last validation entry of the run's scalars.json."""
    runs = sorted(d for d in os.listdir(work_dir)
                  if osp.isfile(osp.join(work_dir, d, 'vis_data', 'scalars.json')))
    last = None
    with open(osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')) as f:
        for line in f:
            entry = json.loads(line)
            if any(k.startswith('accuracy/top1_last') for k in entry):
                last = entry
    return last


def _accuracy(work_dir):
    entry = _last_scalars(work_dir)
    key = next(k for k in entry if k.startswith('accuracy/top1_last'))
    return entry[key], key.split('_')[-1]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--method', choices=sorted(METHODS), default='DivideMix',
                        help='the robust method trained beside CE (default DivideMix)')
    parser.add_argument('--epochs', type=int, default=None,
                        help="shorten every run to N epochs (default: the configs' 30)")
    parser.add_argument('--work-dir', default='work_dirs/demo')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    configs = {name: f'configs/demo/{stem}_smallcnn_digits_sym40.py'
               for name, stem in (('CE', 'ce'), (args.method, METHODS[args.method]))}
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    opts = []
    if args.epochs:
        k = min(10, args.epochs)
        opts = ['--cfg-options', f'train_cfg.max_epochs={args.epochs}',
                f'param_scheduler.T_max={args.epochs}', f'val_evaluator.last_k={k}',
                f'test_evaluator.last_k={k}', 'default_hooks.checkpoint.interval=1000']
        if args.method != 'CE+HMW':
            opts.append(f'model.warmup_epochs={max(1, min(5, args.epochs // 3))}')

    results, start = {}, time.time()
    for i, (name, config) in enumerate(configs.items(), 1):
        run_dir = osp.join(work_dir, name.lower().replace('+', '_').replace('-', ''))
        print(f'[{i}/3] training {name} ({config}) ...', flush=True)
        run_opts = opts if name != 'CE' else [o for o in opts if 'warmup' not in o]
        _run(['tools/train.py', config, '--work-dir', run_dir] + run_opts, run_dir + '.log')
        results[name] = _accuracy(run_dir)
    print('[3/3] finding the label errors (DynaCor) ...', flush=True)
    det_dir = osp.join(work_dir, 'detect')
    ce_opts = [o for o in opts if 'warmup' not in o]
    _run(['tools/detect_noisy_labels.py', configs['CE'], '--work-dir', det_dir, '--crop',
          '1', '--method', 'dynacor', '--no-plot'] + ce_opts, det_dir + '.log')
    with open(osp.join(det_dir, 'noisy_label_detection', 'summary.json')) as f:
        det = json.load(f)['dynacor']['metrics']

    print(f'\ndigits, 40% symmetric label noise, the same noisy labels for every run '
          f'({time.time() - start:.0f} s)\n')
    print(f"test accuracy (mean of the last {results['CE'][1][4:]} epochs)")
    for name, (acc, _) in results.items():
        print(f'  {name:12s} {acc:6.2f}%')
    print(f'\nlabel errors found by DynaCor: {det["num_flagged"]} of {det["num_samples"]} '
          f'training samples flagged; precision {100 * det["precision"]:.1f}%, recall '
          f'{100 * det["recall"]:.1f}%, F1 {100 * det["f1"]:.1f}%')
    print(f'\nlogs, checkpoints, noisy labels and the suspects CSV: {args.work_dir}/')
    summary = dict(dataset='digits', accuracy={k: v[0] for k, v in results.items()},
                   last_k=int(results['CE'][1][4:]), detection=det)
    with open(osp.join(work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    return summary


if __name__ == '__main__':
    main()
