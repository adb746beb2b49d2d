"""What the small-loss trick keeps with a finished run's networks: precision / recall of the
share ``1 - FORGET_RATE`` of the training set with the smallest loss against the given labels.

    python tools/analysis/small_loss_precision.py WORK_DIR [--config CONFIG] --forget-rate R
        [--json FILE]

Each network of a two-network run (``net1``, ``net2``) scores the whole training set under
the test transform with the run's last checkpoint and saved noisy labels; the floor((1 - R) N)
samples of smallest cross-entropy are 'kept'. Precision is the clean share of the kept samples
(compare it with the clean share of the data), recall the kept share of the clean samples.
Co-teaching keeps this share of every batch; the figure says how well its final networks
would still tell the clean labels apart. CONFIG defaults to the one ``tools/train.py`` dumped
into WORK_DIR.
"""
import argparse
import glob
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def dumped_config(work_dir):
    """The config ``tools/train.py`` wrote into the run's work dir (or its log folder)."""
    found = sorted(glob.glob(osp.join(work_dir, '*.py'))) or \
        sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'config.py')))
    if not found:
        raise SystemExit(f'{work_dir}: no config found in the work dir; pass --config')
    return found[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dir')
    parser.add_argument('--config', help='the config the run trained (default: its dump)')
    parser.add_argument('--forget-rate', type=float, required=True)
    parser.add_argument('--json', help='also write the result to this file')
    args = parser.parse_args(argv)
    from tools.benchmark.harness import small_loss_quality
    config = args.config or dumped_config(args.work_dir)
    out = small_loss_quality(args.work_dir, config, args.forget_rate)
    for net, q in out.items():
        if net == 'checkpoint':
            continue
        print(f"{out['checkpoint']} {net}: keeps {q['trusted_fraction']:.1%}; precision "
              f"{q['precision']:.1%} (clean share of the data {q['clean_share']:.1%}), recall "
              f"{q['recall']:.1%}")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(out, f, indent=1)
    return out


if __name__ == '__main__':
    main()
