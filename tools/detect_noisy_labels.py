"""Find the mislabelled samples of a training set.

    python tools/detect_noisy_labels.py --data-root my_images/       # your own images
    python tools/detect_noisy_labels.py --data-root my_images/ --ann-file labels.txt
    python tools/detect_noisy_labels.py CONFIG [--method dynacor aum avg_encoder gmm cl iam]
    python tools/detect_noisy_labels.py WORK_DIR [--method ...]     # no training

With ``--data-root`` (a folder of class sub-folders, or with ``--ann-file`` a list file
``path label`` or a CSV ``filename,label``) nothing needs writing: the images are checked
(unreadable ones are skipped and listed), a network is chosen from their size and count (a
small CNN for small images, a ResNet-18/50 otherwise; ``--pretrained`` for ImageNet weights),
trained with the corrupted copies and the record, and DynaCor plus the baselines (AUM,
small-loss GMM, confident learning) score every image. The work dir then holds
``suspects.csv`` (one row per image, most suspect first: filename, given_label,
suggested_label, score, flag, one score column per detector), ``report.html`` (a page to open
in a browser: the top suspects with thumbnails, per-class counts, the score histograms),
``summary.json`` and ``scores.png``. Run on that work dir again to re-score without training.

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
import json
import os
import os.path as osp
import shutil
import sys
import tempfile
import time

import numpy as np
from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

from mmnoisy.detection import DETECTORS  # noqa: E402

#: the networks --data-root can train: backbone, its feature width, default image side
NETWORKS = {
    'smallcnn': (dict(type='SmallCNN', in_channels=3, widths=(32, 64, 128)), 128, 32),
    'resnet18': (dict(type='ResNet', depth=18), 512, 224),
    'resnet50': (dict(type='ResNet', depth=50), 2048, 224),
}
#: the detectors run on a folder: DynaCor first (it ranks suspects.csv), then the baselines
FOLDER_METHODS = ['dynacor', 'aum', 'gmm', 'cl']
IMAGENET_MEAN, IMAGENET_STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('source', nargs='?',
                        help='a training config, or the work dir of a finished run (or give '
                        '--data-root)')
    folder = parser.add_argument_group('your own images (--data-root)')
    folder.add_argument('--data-root', help='a folder of labelled images: one sub-folder per '
                        'class, or the root of the paths in --ann-file')
    folder.add_argument('--ann-file', help="the labels: 'path label' lines (mmpretrain's list "
                        "format) or a CSV 'filename,label' (class names or indices)")
    folder.add_argument('--network', default='auto', choices=list(NETWORKS) + ['auto'],
                        help='auto: a small CNN for images up to 64 px, else ResNet-18 '
                        '(ResNet-50 from 100,000 images)')
    folder.add_argument('--image-size', type=int, help='side the images are resized to '
                        '(default 32 for the small CNN, 224 for the ResNets)')
    folder.add_argument('--pretrained', help='ImageNet weights of the ResNet backbone: a file or '
                        'URL of a torchvision or mmpretrain checkpoint')
    folder.add_argument('--epochs', type=int, help='training epochs (default from the number '
                        'of images: 40 up to 20,000, 25 up to 200,000, else 15; 10 pretrained)')
    folder.add_argument('--batch-size', type=int, default=128)
    folder.add_argument('--workers', type=int, default=None,
                        help='data loading processes (default min(4, CPUs))')
    folder.add_argument('--top', type=int, default=60,
                        help='suspects shown in report.html (default 60)')
    parser.add_argument('--method', nargs='+', choices=list(DETECTORS), default=None,
                        help='detectors to run (default with a config: dynacor aum '
                        'avg_encoder gmm cl; with a work dir: every one its record allows): '
                        + '; '.join(f'{m}: {d.doc}' for m, d in DETECTORS.items()))
    parser.add_argument('--work-dir', help='where to train (config and --data-root modes)')
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


class Stages:
    """Numbered stage headers with the time each took."""

    def __init__(self, names):
        self.names, self.k, self.t0 = list(names), 0, None

    def start(self):
        self.k += 1
        self.t0 = time.time()
        print(f'\n[{self.k}/{len(self.names)}] {self.names[self.k - 1]}', flush=True)

    def done(self):
        sec = time.time() - self.t0
        print(f'    done in {sec:.0f} s', flush=True)
        return sec


def scan_progress():
    t0 = time.time()

    def report(done, total):
        rate = done / max(time.time() - t0, 1e-9)
        print(f'    checked {done}/{total} images, ETA {(total - done) / rate:.0f} s',
              flush=True)
    return report


def choose_network(scan, network='auto', image_size=None, pretrained=None):
    """(network, image side) for the images of ``scan``: a small CNN for images up to 64 px
    (median of the shorter side) trained from scratch, else ResNet-18, ResNet-50 from 100,000
    images; a pretrained backbone is always a ResNet."""
    if network == 'auto':
        side = float(np.median(scan.sizes.min(axis=1)))
        if side <= 64 and not pretrained:
            network = 'smallcnn'
        else:
            network = 'resnet50' if len(scan) >= 100_000 else 'resnet18'
    if pretrained and network == 'smallcnn':
        raise ValueError('--pretrained loads ImageNet weights into a ResNet backbone: use '
                         '--network resnet18 or resnet50 (or leave --network auto)')
    return network, int(image_size or NETWORKS[network][2])


def default_epochs(num_images, pretrained=False):
    if pretrained:
        return 10
    return 40 if num_images <= 20_000 else 25 if num_images <= 200_000 else 15


def copy_crop(scan):
    """Pixels DynaCor's copies lose on each side: an eighth of the images' side, as 4 px of
    CIFAR's 32 (cropped before resizing, so in the images' own pixels), and no more than the
    smallest image allows."""
    median = float(np.median(scan.sizes.min(axis=1)))
    smallest = int(scan.sizes.min())
    return max(1, min(round(median / 8), (smallest - 1) // 2))


def pretrained_backbone(source, network, out_path):
    """The ResNet backbone's weights from ``source`` (a torchvision checkpoint: ``conv1.*``,
    ``layer1.*``, ..., ``fc.*``; or an mmpretrain one: ``backbone.*``), checked against the
    backbone and saved to ``out_path`` for ``init_cfg=dict(type='Pretrained')``."""
    import torch
    from mmengine.runner import CheckpointLoader

    from mmnoisy.registry import MODELS
    ckpt = CheckpointLoader.load_checkpoint(source, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f'{source} holds no state dict')
    if any(k.startswith('backbone.') for k in state):
        state = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
    else:
        state = {k: v for k, v in state.items() if not k.startswith('fc.')}
    want = MODELS.build(NETWORKS[network][0]).state_dict()
    fits = [k for k, v in want.items() if k in state and tuple(state[k].shape) == tuple(v.shape)]
    if len(fits) < 0.9 * len(want):
        raise ValueError(f'{source} does not fit a {network} backbone: {len(fits)} of its '
                         f'{len(want)} weights found with the right shape')
    torch.save({'state_dict': {k: state[k] for k in fits}}, out_path)
    return out_path


def folder_config(scan, args, work_dir, list_file, network, size, epochs, pretrained_file):
    """The training config of an image folder: the chosen network, the images resized to
    ``size``, DynaCor's schedule, the copies and the record (``prepare_config``)."""
    from mmengine.config import Config
    root = osp.dirname(osp.dirname(osp.abspath(__file__)))
    backbone, width, _ = NETWORKS[network]
    backbone = dict(backbone)
    if pretrained_file:
        backbone['init_cfg'] = dict(type='Pretrained', checkpoint=pretrained_file)
    if network == 'smallcnn':
        pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(size, size)),
                    dict(type='RandomCrop', crop_size=size, padding=max(1, size // 8)),
                    dict(type='PackNoisyInputs')]
    else:
        pipeline = [dict(type='LoadImageFromFile'),
                    dict(type='ResizeEdge', scale=round(size * 8 / 7), edge='short'),
                    dict(type='RandomCrop', crop_size=size), dict(type='PackNoisyInputs')]
    n = len(scan)
    iters = max(1, -(-int(n * (1 + args.gamma)) // args.batch_size))
    workers = args.workers if args.workers is not None else min(4, os.cpu_count() or 1)
    cfg = Config(dict(
        model=dict(type='NoisyClassifier', backbone=backbone,
                   neck=dict(type='GlobalAveragePooling'),
                   head=dict(type='LinearClsHead', num_classes=len(scan.classes),
                             in_channels=width, loss=dict(type='CrossEntropyLoss'))),
        data_preprocessor=dict(num_classes=len(scan.classes), mean=IMAGENET_MEAN,
                               std=IMAGENET_STD, to_rgb=True),
        train_dataloader=dict(
            batch_size=args.batch_size, num_workers=workers,
            persistent_workers=False, collate_fn=dict(type='default_collate'),
            sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dict(type='NoisyLabelDataset', noise=dict(type='none'),
                         labels_are_noisy=True,
                         dataset=dict(type='mmpretrain.CustomDataset', data_root=scan.root,
                                      ann_file=list_file, with_label=True,
                                      metainfo=dict(classes=list(scan.classes)),
                                      pipeline=pipeline))),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01 if pretrained_file else 0.1,
                                          momentum=0.9, weight_decay=5e-4)),
        param_scheduler=dict(type='MultiStepLR', by_epoch=True, gamma=0.01, milestones=[
            max(1, round(epochs * f)) for f in (0.5, 0.6, 0.7, 0.8, 0.9)]),
        train_cfg=dict(by_epoch=True, max_epochs=epochs),
        val_dataloader=None, val_cfg=None, val_evaluator=None,
        test_dataloader=None, test_cfg=None, test_evaluator=None,
        work_dir=work_dir, experiment_name='detect',
    ))
    base = Config.fromfile(osp.join(root, 'configs/_base_/default_runtime.py'))
    base.merge_from_dict(cfg.to_dict())
    base.default_hooks.checkpoint = dict(type='CheckpointHook', interval=epochs,
                                         max_keep_ckpts=1, save_last=True)
    base.default_hooks.logger = dict(type='LoggerHook', interval=max(1, min(50, iters // 2)))
    base.randomness = dict(seed=args.seed, deterministic=False)
    return base


def detect_folder(args):
    """--data-root: scan, train with the record and the copies, detect, report."""
    from mmnoisy.datasets.image_folder import scan_image_folder, write_list_file
    from mmnoisy.utils.tools import build_runner
    methods = args.method or list(FOLDER_METHODS)
    stages = Stages(['checking the images', 'training the classifier (with DynaCor\'s '
                     'corrupted copies) and scoring every image', 'writing the report'])
    work_dir = osp.abspath(args.work_dir or osp.join(
        './work_dirs', 'detect_' + osp.basename(osp.normpath(args.data_root))))
    stages.start()
    scan = scan_image_folder(args.data_root, args.ann_file, progress=scan_progress())
    counts = scan.class_counts()
    print(f'    {len(scan)} images in {len(scan.classes)} classes '
          f'({min(counts)} to {max(counts)} per class)'
          + (f'; {len(scan.skipped)} unreadable, skipped (listed in summary.json)'
             if scan.skipped else '')
          + (f'; empty class folders left out: {scan.empty_classes}'
             if scan.empty_classes else ''))
    network, size = choose_network(scan, args.network, args.image_size, args.pretrained)
    epochs = args.epochs or default_epochs(len(scan), bool(args.pretrained))
    os.makedirs(work_dir, exist_ok=True)
    list_file = write_list_file(scan, osp.join(work_dir, 'images.txt'))
    pretrained_file = pretrained_backbone(args.pretrained, network, osp.join(
        work_dir, 'pretrained_backbone.pth')) if args.pretrained else None
    args.crop = copy_crop(scan)
    meta = dict(data_root=osp.abspath(scan.root), ann_file=args.ann_file,
                classes=list(scan.classes), num_images=len(scan),
                skipped=[dict(filename=f, reason=r) for f, r in scan.skipped],
                empty_classes=scan.empty_classes, network=network, image_size=size,
                epochs=epochs, pretrained=args.pretrained, methods=methods,
                seconds=dict(check=round(stages.done(), 1)))
    cfg = prepare_config(folder_config(scan, args, work_dir, list_file, network, size, epochs,
                                       pretrained_file), args, methods)
    # the final prediction of every image: the suggested label
    (record, ) = [h for h in cfg.custom_hooks if h['type'] == 'SampleRecordHook']
    record['signals'] = dict(record['signals'], prob=1)
    stages.start()
    print(f'    {network} on {size}x{size} images, {epochs} epochs, '
          f'{int(len(scan) * args.gamma)} corrupted copies; the log shows an ETA', flush=True)
    runner = build_runner(cfg)
    runner.train()
    hook = [h for h in runner.hooks if type(h).__name__ == 'NoisyLabelDetectionHook'][0]
    prob = runner.model.sample_record.latest('net', 'prob')[:len(scan)]
    out_dir = osp.join(work_dir, 'noisy_label_detection')
    np.save(osp.join(out_dir, 'predictions.npy'), prob.astype(np.float32).argmax(1))
    meta['seconds']['train_and_score'] = round(stages.done(), 1)
    write_json(osp.join(work_dir, 'image_folder.json'), meta)  # re-scoring reads it
    stages.start()
    summary = write_folder_report(work_dir, hook.results, meta, args.top)
    meta['seconds']['report'] = summary['seconds']['report'] = round(stages.done(), 1)
    write_json(osp.join(work_dir, 'image_folder.json'), meta)
    write_json(osp.join(work_dir, 'summary.json'), summary)
    return work_dir, hook.results, None


def write_json(path, data):
    with open(path, 'w') as f:
        json.dump(data, f, indent=1)


def write_folder_report(work_dir, results, meta, top=60):
    """suspects.csv and report.html of an image-folder run, from the detectors' results and
    what the run saved (images.txt, predictions.npy); returns the summary (summary.json), which
    the caller writes once the stage's time is known."""
    from mmnoisy.detection.report import (flag_threshold, suspects_table, write_report_html,
                                          write_suspects_csv)
    with open(osp.join(work_dir, 'images.txt')) as f:
        pairs = [line.rstrip('\n').rsplit(' ', 1) for line in f if line.strip()]
    filenames = [p[0] for p in pairs]
    labels = np.array([int(p[1]) for p in pairs], np.int64)
    suggested = np.load(osp.join(work_dir, 'noisy_label_detection', 'predictions.npy'))
    classes = meta['classes']
    primary = next(iter(results))
    rows = suspects_table(filenames, labels, suggested, results, classes, primary)
    csv_path = write_suspects_csv(osp.join(work_dir, 'suspects.csv'), rows)
    flags = np.asarray(results[primary]['flags'], bool)
    counts = np.bincount(labels, minlength=len(classes))
    flagged = np.bincount(labels[flags], minlength=len(classes))
    notes = [f"skipped (unreadable): {s['filename']}: {s['reason']}" for s in meta['skipped']]
    if meta.get('empty_classes'):
        notes.append(f"class folders without images, left out: {meta['empty_classes']}")
    html_path = write_report_html(
        osp.join(work_dir, 'report.html'), rows, root=meta['data_root'], classes=classes,
        class_counts=counts, flagged_counts=flagged, results=results, primary=primary,
        title=f"Label errors in {osp.basename(osp.normpath(meta['data_root']))}",
        notes=notes, top=top)
    summary = dict(
        data_root=meta['data_root'], ann_file=meta['ann_file'], num_images=len(filenames),
        classes=classes, network=meta['network'], image_size=meta['image_size'],
        epochs=meta['epochs'], pretrained=meta['pretrained'], primary=primary,
        flagged={m: int(np.sum(r['flags'])) for m, r in results.items()},
        thresholds={m: flag_threshold(r['scores'], r['flags']) for m, r in results.items()},
        flagged_per_class={c: int(k) for c, k in zip(classes, flagged)},
        skipped=meta['skipped'], seconds=dict(meta.get('seconds', {})))
    print(f'    {csv_path}\n    {html_path}\n    {osp.join(work_dir, "summary.json")}')
    return summary


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

    started = time.time()

    def progress(epoch, total, metric, loss):
        eta = (time.time() - started) / epoch * (total - epoch)
        print(f'  DynaCor encoder epoch {epoch}/{total}: validation metric {metric:.3e}, '
              f'loss {loss:.4f}, ETA {eta:.0f} s', flush=True)

    results = run_detectors(methods, inputs, is_noisy, dynacor=dynacor_args(args),
                            progress=progress)
    # with --out only that file is written: the run's own results stay as they are
    out_dir = tempfile.mkdtemp(prefix='detect_') if args.out else \
        osp.join(args.source, 'noisy_label_detection')
    write_results(out_dir, results, inputs.labels[orig])
    for m, res in results.items():
        print(f'{m}: {format_metrics(res)}')
    folder = osp.join(args.source, 'image_folder.json')
    if osp.isfile(folder) and not args.out:  # a --data-root run: its report, re-scored
        with open(folder) as f:
            meta = json.load(f)
        write_json(osp.join(args.source, 'summary.json'),
                   write_folder_report(args.source, results, meta, args.top))
    return out_dir, results, is_noisy


def plot_scores(path, results, is_noisy=None, title=None):
    """Each detector's score histogram with its flag threshold, titled (dataset, noise)."""
    from mmnoisy.detection.report import save_figure, score_figure
    return save_figure(score_figure(results, title, is_noisy), path)


def figure_title(work_dir):
    """'DATASET, NOISE' of a run from what it saved (config, noisy_labels.npz), as far as
    known."""
    parts = []
    folder = osp.join(work_dir, 'image_folder.json')
    if osp.isfile(folder):
        with open(folder) as f:
            parts.append(osp.basename(osp.normpath(json.load(f)['data_root'])))
    else:
        configs = sorted(f for f in os.listdir(work_dir) if f.endswith('.py'))
        if configs:
            parts.append(osp.splitext(configs[0])[0])
    labels = osp.join(work_dir, 'noisy_labels.npz')
    if osp.isfile(labels):
        with np.load(labels) as z:
            if 'settings_json' in z.files:
                noise = json.loads(str(z['settings_json']))
                if noise.get('type') not in (None, 'none'):
                    rate = noise.get('rate')
                    parts.append(f"{noise['type']} noise" + (f' {rate:.0%}' if rate else ''))
    return ', '.join(parts) or None


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
    if args.data_root and args.source:
        raise SystemExit('give a config or work dir, or --data-root, not both')
    if args.ann_file and not args.data_root:
        raise SystemExit('--ann-file goes with --data-root (the root of its paths)')
    if args.data_root:
        work_dir, results, is_noisy = detect_folder(args)
        out_dir = osp.join(work_dir, 'noisy_label_detection')
    elif not args.source:
        raise SystemExit('give a config, a work dir, or --data-root IMAGE_FOLDER')
    elif osp.isdir(args.source):
        work_dir = args.source
        out_dir, results, is_noisy = detect_from_work_dir(args, args.method)
    elif osp.isfile(args.source):
        methods = args.method or ['dynacor', 'aum', 'avg_encoder', 'gmm', 'cl']
        work_dir, results, is_noisy = train_and_detect(args, methods)
        out_dir = osp.join(work_dir, 'noisy_label_detection')
    else:
        raise SystemExit(f'{args.source} is neither a config file nor a work dir')
    print('\n' + summary_table(results))
    if is_noisy is None:
        print('(clean labels unknown: no precision / recall / F1)')
    if not args.no_plot:
        path = plot_scores(osp.join(out_dir, 'scores.png'), results, is_noisy,
                           figure_title(work_dir))
        print(f'score distributions: {path}')
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
