"""Train a model: python tools/train.py CONFIG [--work-dir DIR] [--resume [PATH]] [--amp] ..."""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

from mmnoisy.utils.tools import (build_runner, enable_amp, load_config,  # noqa: E402
                                  shutdown_distributed)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model with mmnoisy')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or from the latest one in the work dir '
        'when no path is given')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision training (needs a GPU)')
    parser.add_argument('--no-validate', action='store_true',
                        help='do not evaluate checkpoints during training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate with the total batch size')
    parser.add_argument('--no-pin-memory', action='store_true',
                        help='disable pin_memory in the dataloaders')
    parser.add_argument('--no-persistent-workers', action='store_true',
                        help='disable persistent_workers in the dataloaders')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, e.g. '
        'train_dataloader.dataset.noise.rate=0.8')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        enable_amp(cfg)
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.auto_scale_lr:
        if 'base_batch_size' not in (cfg.get('auto_scale_lr') or {}):
            raise ValueError('--auto-scale-lr needs auto_scale_lr = dict(base_batch_size=...) '
                             'in the config: the total batch size its lr was set for')
        cfg.auto_scale_lr.enable = True
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(loader) is None:
            continue
        if args.no_pin_memory:
            cfg[loader]['pin_memory'] = False
        if args.no_persistent_workers or cfg[loader].get('num_workers', 0) == 0:
            cfg[loader]['persistent_workers'] = False  # torch refuses it without workers
        elif loader != 'train_dataloader':
            # the training loader starts its workers each epoch, seeded from (seed, epoch,
            # rank): what makes --resume exact (NoisyRunner)
            cfg[loader].setdefault('persistent_workers', True)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = merge_args(load_config(args.config), args)
    runner = build_runner(cfg)
    runner.train()
    summary = final_summary(runner)
    if summary:
        runner.logger.info(summary)
    shutdown_distributed()


def final_summary(runner):
    """One line with the last test accuracy and the mean over the last k epochs."""
    from mmnoisy.engine.hooks.run_summary_hook import evaluator_last_k
    from mmnoisy.evaluation.metrics.last_k_accuracy import HISTORY_KEY, mean_of_last
    history = runner.message_hub.get_info(HISTORY_KEY) or {}
    if not history:
        return None
    last = history[max(history)]
    k = min(evaluator_last_k(runner.cfg), len(history))
    return (f'final test accuracy: {last:.2f}% after epoch {max(history) + 1}; '
            f'mean of the last {k} epochs: {mean_of_last(history, k):.2f}%. '
            f'Work dir: {runner.work_dir}')


if __name__ == '__main__':
    main()
