"""Test accuracy per epoch of several runs in one figure (e.g. CE against the methods).

    python tools/analysis/plot_accuracy.py WORK_DIR [WORK_DIR ...] [--labels A B ...]
        [--out FILE.png] [--title TEXT]
    python tools/analysis/plot_accuracy.py --bench work_dirs/bench_memorisation --noise sym50
        [--seed 1] [--methods CE DivideMix ...] [--out FILE.png]

Runs are read from their ``results.json`` (written by every ``tools/train.py`` run); with
``--bench`` the cells of ``tools/benchmark/bench_memorisation.py`` for one noise and seed are
read from its work dir. CE is drawn in black, the clean ceiling ('CE (clean)') dashed.
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def curve(accuracy):
    """(epochs, accuracies) from results.json's {'1': top1, ...}."""
    epochs = sorted(accuracy, key=int)
    return [int(e) for e in epochs], [accuracy[e] for e in epochs]


def runs_from_dirs(work_dirs, labels=None):
    from mmnoisy.engine.hooks.run_summary_hook import read_results
    if labels and len(labels) != len(work_dirs):
        raise SystemExit(f'--labels: {len(labels)} labels for {len(work_dirs)} runs')
    labels = labels or [osp.basename(osp.normpath(d)) for d in work_dirs]
    return {label: read_results(d)['accuracy'] for label, d in zip(labels, work_dirs)}


def runs_from_bench(bench_dir, noise, seed=1, methods=None):
    """{method: accuracy per epoch} of the saved cells of one noise and seed, in the order of
    the benchmark's plan."""
    from tools.benchmark.bench_memorisation import PLAN
    from tools.benchmark.harness import slug
    runs = {}
    for name in PLAN.get(noise, []):
        if methods and name not in methods:
            continue
        path = osp.join(bench_dir, noise, f'{slug(name)}_seed{seed}.result.json')
        if osp.exists(path):
            with open(path) as f:
                runs[name] = json.load(f)['result']['accuracy']
    if not runs:
        raise SystemExit(f'no saved cell for {noise}, seed {seed} in {bench_dir}')
    return runs


def plot(runs, out, title=None):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 5))
    for label, accuracy in runs.items():
        epochs, acc = curve(accuracy)
        style = dict(lw=1.4)
        if label == 'CE':
            style = dict(lw=2.6, color='black', zorder=5)
        elif label == 'CE (clean)':
            style = dict(lw=1.6, color='grey', ls='--')
        ax.plot(epochs, acc, label=f'{label} ({acc[-1]:.1f})', **style)
    ax.set_xlabel('epoch')
    ax.set_ylabel('test top-1 (%)')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2, loc='lower right', title='method (last epoch)',
              title_fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('work_dirs', nargs='*', help='finished runs (their results.json)')
    parser.add_argument('--labels', nargs='+')
    parser.add_argument('--bench', help="bench_memorisation.py's work dir")
    parser.add_argument('--noise', default='sym50')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--methods', nargs='+')
    parser.add_argument('--title')
    parser.add_argument('--out', default='accuracy.png')
    args = parser.parse_args(argv)
    if bool(args.bench) == bool(args.work_dirs):
        parser.error('give either WORK_DIRs or --bench')
    runs = runs_from_bench(args.bench, args.noise, args.seed, args.methods) if args.bench \
        else runs_from_dirs(args.work_dirs, args.labels)
    print(plot(runs, args.out, args.title))


if __name__ == '__main__':
    main()
