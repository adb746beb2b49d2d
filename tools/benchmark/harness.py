"""What every benchmark that trains shares: run ``tools/train.py`` on a config, read the run's
JSON results, keep finished cells of a table so that an interrupted table resumes, and measure
how much of the label noise a trained model fits.

- :func:`train`: one run in a subprocess (its own thread count); returns ``results.json``
  (written by ``RunSummaryHook``: test top-1 per epoch, last, best, mean of the last k, seconds).
- :func:`run_cell`: a table cell: skipped when its result is saved (with the same setting) or
  another process holds its lock; else trained, measured, and saved at once.
- :func:`selection_quality`, :func:`detection_summary`, :func:`fitted_noise`: what a run left
  in its work dir, read back.
- :data:`NOISES` and :func:`noise`: the label noises the benchmarks name, in one table, as the
  ``noise`` dict of ``NoisyLabelDataset``; :func:`noise_options` / :func:`noise_text` render one
  as ``--cfg-options`` or as config text.
- :func:`ce_pair`, :func:`compare_train_steps`: the per-iteration cost of a method over plain CE,
  timed on the same batch.
"""
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


#: the label noises the benchmarks name (``NoisyLabelDataset``'s ``noise``; the seed is the run's
#: unless a benchmark fixes it). Symmetric noise at 50% and 80% redraws among all classes, the
#: true one included (DivideMix's convention); at 60% (DynaCor's) it does not.
NOISES = {
    'clean': dict(type='none'),
    'sym50': dict(type='symmetric', rate=0.5, include_true_class=True),
    'sym60': dict(type='symmetric', rate=0.6),
    'sym80': dict(type='symmetric', rate=0.8, include_true_class=True),
    'asym40': dict(type='asymmetric', rate=0.4),
    'pair30': dict(type='pairflip', rate=0.3),
    'ins40': dict(type='instance', rate=0.4),
}


def noise(name, **changes):
    """A copy of ``NOISES[name]`` with ``changes`` (a value of None removes the key)."""
    spec = dict(NOISES[name], **changes)
    return {k: v for k, v in spec.items() if v is not None}


def noise_options(prefix, spec):
    """``--cfg-options`` setting each key of the noise dict ``spec`` under ``prefix``."""
    return [f'{prefix}.{k}={v}' for k, v in spec.items()]


def noise_text(spec):
    """The noise dict ``spec`` as config text (``_delete_=True`` first: it replaces the base
    config's noise rather than merging into it)."""
    items = ['_delete_=True'] + [f'{k}={v!r}' for k, v in spec.items()]
    return f"dict({', '.join(items)})"


def train(config, work_dir, *, threads=None, cfg_options=(), name=None, env=None, results=True):
    """``tools/train.py CONFIG --work-dir WORK_DIR [--cfg-options ...]`` in a subprocess with
    ``OMP_NUM_THREADS=threads`` (when given). The log goes to ``WORK_DIR.log``; a failed run
    exits with its tail. Returns the run's ``results.json`` (None with ``results=False``: a run
    without test accuracy, e.g. self-supervised pre-training)."""
    from mmnoisy.engine.hooks.run_summary_hook import read_results
    env = dict(os.environ if env is None else env)
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    cmd = [sys.executable, osp.join(ROOT, 'tools/train.py'), osp.join(ROOT, config),
           '--work-dir', work_dir] + (['--cfg-options', *cfg_options] if cfg_options else [])
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    log = proc.stdout + proc.stderr
    os.makedirs(osp.dirname(osp.abspath(work_dir)), exist_ok=True)
    with open(work_dir + '.log', 'w') as f:
        f.write(log)
    if proc.returncode:
        print(log[-3000:])
        raise SystemExit(f'{name or config} failed (exit {proc.returncode}); log: '
                         f'{work_dir}.log')
    return read_results(work_dir) if results else None


def selection_quality(work_dir):
    """Precision / recall / share trusted of the last epoch's selection (net1's for two
    networks), or None for a method that does not select."""
    path = osp.join(work_dir, 'selection_quality.json')
    if not osp.exists(path):
        return None
    with open(path) as f:
        last = json.load(f)['epochs'][-1]
    last = last.get('net1', last)
    if 'precision' not in last:
        return None
    return {k: last[k] for k in ('precision', 'recall', 'trusted_fraction') if k in last}


def detection_summary(work_dir):
    """{method: its metrics} of the noisy-label detection the run wrote, or None."""
    path = osp.join(work_dir, 'noisy_label_detection', 'summary.json')
    if not osp.exists(path):
        return None
    with open(path) as f:
        summary = json.load(f)
    return {name: entry['metrics'] for name, entry in summary.items()
            if isinstance(entry, dict) and 'metrics' in entry}


def walk_dicts(node, fn):
    """Call ``fn`` on every dict inside ``node`` (configs: nested dicts and lists)."""
    if isinstance(node, dict):
        fn(node)
        for value in node.values():
            walk_dicts(value, fn)
    elif isinstance(node, (list, tuple)):
        for value in node:
            walk_dicts(value, fn)


def noisy_dataset(dataset_cfg):
    """The NoisyLabelDataset config inside a training dataset config (DynaCor's copies wrap it)."""
    while dataset_cfg.get('type') != 'NoisyLabelDataset':
        dataset_cfg = dataset_cfg['dataset']
    return dataset_cfg


def last_checkpoint(work_dir):
    """The ``epoch_N.pth`` of ``work_dir`` with the largest N, or None when there is none."""
    import glob
    import re
    found = [(int(re.fullmatch(r'epoch_(\d+)\.pth', osp.basename(p))[1]), p)
             for p in glob.glob(osp.join(work_dir, 'epoch_*.pth'))
             if re.fullmatch(r'epoch_(\d+)\.pth', osp.basename(p))]
    return max(found)[1] if found else None


def _trained_run(work_dir, config, batch_size=500):
    """(model in eval mode with the run's last checkpoint, a loader of its training images
    under the test transform in dataset order, the saved noisy labels, the checkpoint's path)
    of a finished run: ``work_dir``'s last checkpoint and ``noisy_labels.npz``, built from the
    ``config`` it trained (a path, or the loaded config when the run changed it with
    --cfg-options)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    import mmnoisy.all_modules  # noqa: F401
    from mmnoisy.compat import safe_torch_load, unwrapped_state_dict
    from mmnoisy.registry import MODELS
    init_default_scope('mmnoisy')
    ckpt = last_checkpoint(work_dir)
    if ckpt is None:
        raise FileNotFoundError(f'no epoch_*.pth in {work_dir}')
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))  # as the runner
    model = MODELS.build(cfg.model)
    model.load_state_dict(unwrapped_state_dict(model, safe_torch_load(ckpt)['state_dict']))
    model.eval()
    inner = dict(noisy_dataset(cfg.train_dataloader.dataset).dataset,
                 pipeline=[dict(type='PackNoisyInputs')])
    loader = Runner.build_dataloader(dict(
        dataset=dict(type='NoisyLabelDataset', dataset=inner,
                     noise=dict(type='file', path=osp.join(work_dir, 'noisy_labels.npz'))),
        sampler=dict(type='DefaultSampler', shuffle=False), batch_size=batch_size,
        num_workers=0, collate_fn=dict(type='default_collate')))
    return model, loader, loader.dataset.noise, ckpt


def _outputs(model, loader, forward):
    """``forward(model, inputs)`` over the loader, concatenated (no gradients)."""
    import torch
    out = []
    with torch.no_grad():
        for data in loader:
            out.append(forward(model, model.data_preprocessor(data, False)['inputs']))
    return torch.cat(out)


def fitted_noise(work_dir, config, batch_size=500):
    """How much of the noise the run's final model fits, on its training images under the
    test transform: of the samples whose given label is wrong, the share predicted as the
    given (wrong) label ('wrong_fitted') and as the true one ('wrong_corrected'); of the others,
    the share predicted right ('clean_correct'). Uses the last checkpoint and
    ``noisy_labels.npz`` of ``work_dir`` and the ``config`` the run trained (a path, or the
    loaded config when the run changed it with --cfg-options)."""
    model, loader, labels, ckpt = _trained_run(work_dir, config, batch_size)
    preds = _outputs(model, loader, lambda m, x: m(x, mode='tensor').argmax(1))
    return dict(noise_fit(preds.numpy(), labels.noisy_labels, labels.clean_labels),
                checkpoint=osp.basename(ckpt))


def small_loss_selection(losses, is_noisy, forget_rate):
    """The small-loss trick on a whole training set: the ``floor((1 - forget_rate) N)``
    samples of smallest ``losses`` (ties by index) are kept; their precision / recall as
    :func:`mmnoisy.selection.selection_quality` measures a trusted set (``trust`` = -loss),
    and the clean share of all samples (the precision of keeping at random)."""
    import numpy as np

    from mmnoisy.selection import selection_quality
    losses = np.asarray(losses, np.float64)
    if not 0 <= forget_rate < 1:
        raise ValueError(f'forget_rate must be in [0, 1), got {forget_rate}')
    keep = np.zeros(losses.shape, bool)
    keep[np.argsort(losses, kind='stable')[:int((1 - forget_rate) * losses.size)]] = True
    out = selection_quality(-losses, is_noisy, trusted=keep)
    out['clean_share'] = float(1 - np.mean(np.asarray(is_noisy, bool))) if losses.size else None
    return out


def small_loss_quality(work_dir, config, forget_rate, batch_size=500):
    """What the small-loss trick would keep with each network of a finished two-network run
    (the whole training set under the test transform, per-sample CE against the given labels,
    the share ``1 - forget_rate`` of smallest loss): {network: small_loss_selection(...)}, plus
    the checkpoint used. A one-network run reports its model as 'net'."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    from mmnoisy.models.learners.co_training import NETWORKS
    model, loader, labels, ckpt = _trained_run(work_dir, config, batch_size)
    noisy = np.asarray(labels.noisy_labels)
    given = torch.as_tensor(noisy)
    nets = [n for n in NETWORKS if hasattr(model, n)] or [None]
    out = {}
    for net in nets:
        f = (lambda m, x: m(x, mode='tensor')) if net is None else \
            (lambda m, x, n=net: getattr(m, n)(x, mode='tensor'))
        logits = _outputs(model, loader, f)
        loss = F.cross_entropy(logits, given, reduction='none').numpy()
        out[net or 'net'] = small_loss_selection(
            loss, noisy != np.asarray(labels.clean_labels), forget_rate)
    out['checkpoint'] = osp.basename(ckpt)
    return out


def noise_fit(pred, noisy, clean):
    """Of the samples whose given label ``noisy`` differs from ``clean``: the share whose
    prediction ``pred`` is the given label ('wrong_fitted') and the true one
    ('wrong_corrected'); of the others the share predicted right ('clean_correct'); and the
    share of wrong labels ('wrong_share'). None where a group is empty."""
    import numpy as np
    pred, noisy, clean = (np.asarray(a) for a in (pred, noisy, clean))
    wrong = noisy != clean
    share = (lambda m: float(m.mean()) if m.size else None)
    return dict(wrong_fitted=share(pred[wrong] == noisy[wrong]),
                wrong_corrected=share(pred[wrong] == clean[wrong]),
                clean_correct=share(pred[~wrong] == clean[~wrong]),
                wrong_share=float(wrong.mean()))


def slug(name):
    """A method's name as a file name: 'RoLR+NegScale' -> 'rolr_negscale', 'CE (clean)' ->
    'ceclean'."""
    for a, b in (('-', ''), ('+', '_'), (' ', ''), ('(', ''), (')', '')):
        name = name.replace(a, b)
    return name.lower()


def subset_opts(data_root, subset, epochs, workers, log_interval=20):
    """--cfg-options of a CPU benchmark run: the first ``subset`` CIFAR training images under
    ``data_root``, ``epochs`` epochs of the cosine schedule, validation only in the last 5
    (the epochs averaged over), no checkpoints to speak of."""
    return [
        f'train_dataloader.dataset.dataset.data_root={data_root}',
        f'train_dataloader.dataset.dataset.indices={subset}',
        f'val_dataloader.dataset.data_root={data_root}',
        f'test_dataloader.dataset.data_root={data_root}',
        f'train_cfg.max_epochs={epochs}',
        f'train_cfg.val_begin={max(epochs - 4, 1)}',
        f'param_scheduler.T_max={epochs}',
        'val_evaluator.last_k=5', 'test_evaluator.last_k=5',
        'default_hooks.checkpoint.interval=1000', f'default_hooks.logger.interval={log_interval}',
        f'train_dataloader.num_workers={workers}',
        f'val_dataloader.num_workers={workers}',
    ]


def reshape(cfg, name, widths=None, no_crop_flip=False):
    """In the loaded config ``cfg`` (of file ``name``): the small CNN's ``widths`` (and its
    head's input width) and, with ``no_crop_flip``, no RandomCrop / RandomFlip in the
    innermost training dataset's pipeline."""
    if widths:
        net = cfg.model if 'backbone' in cfg.model else cfg.model.network
        if net.backbone.type != 'SmallCNN':
            raise SystemExit(f'--widths needs a SmallCNN; {name} has {net.backbone.type}')
        net.backbone.widths = tuple(widths)
        net.head.in_channels = widths[-1]
    if no_crop_flip:
        ds = cfg.train_dataloader.dataset
        while 'dataset' in ds:
            ds = ds.dataset
        ds.pipeline = drop_transforms(ds.pipeline, ('RandomCrop', 'RandomFlip'))


def derived_config(config, path, widths=None, no_crop_flip=False):
    """Write ``config`` to ``path`` with the small CNN's ``widths`` (and its head's input
    width) replaced and, with ``no_crop_flip``, RandomCrop and RandomFlip removed from the
    training pipeline (every view: the weak view becomes the image itself, the strong view
    keeps RandAugment + Cutout). Returns ``path``; ``config`` unchanged when there is
    nothing to change."""
    if not widths and not no_crop_flip:
        return config
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, config))
    reshape(cfg, config, widths, no_crop_flip)
    os.makedirs(osp.dirname(path), exist_ok=True)
    cfg.dump(path)
    return path


def drop_transforms(pipeline, types):
    """``pipeline`` (nested lists/dicts of transform configs, e.g. inside MultiView) without
    the transforms whose type is in ``types``."""
    if isinstance(pipeline, (list, tuple)):
        return [drop_transforms(t, types) for t in pipeline
                if not (isinstance(t, dict) and t.get('type') in types)]
    if isinstance(pipeline, dict):
        return {k: drop_transforms(v, types) for k, v in pipeline.items()}
    return pipeline


def claim(lock, empty_grace=60.0):
    """Take the lock file of a cell (holding this process id); False while a live process
    holds it. A lock left by a killed process is taken over, and so is an empty one older
    than ``empty_grace`` seconds (its creator died before writing its id; a younger empty
    one is a process that is writing it now)."""
    os.makedirs(osp.dirname(osp.abspath(lock)), exist_ok=True)
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                with open(lock) as f:
                    text = f.read().strip()
                if not text:
                    if time.time() - os.path.getmtime(lock) < empty_grace:
                        return False
                    raise ProcessLookupError
                os.kill(int(text), 0)
                return False  # its holder is alive
            except PermissionError:
                return False  # alive, owned by another user
            except (ProcessLookupError, ValueError, FileNotFoundError):
                try:
                    os.remove(lock)  # stale
                except FileNotFoundError:
                    pass
                continue
        with os.fdopen(fd, 'w') as f:
            f.write(str(os.getpid()))
        return True
    return False


def saved_cell(path, setting):
    """The saved result in ``path`` (``CELL.result.json``), None if there is none; one
    measured with another ``setting`` is refused."""
    if not osp.exists(path):
        return None
    with open(path) as f:
        cell = json.load(f)
    if cell['setting'] != setting:
        raise SystemExit(f'{path} was measured with {cell["setting"]}, not with {setting}; '
                         'use another --work-dir or --force')
    return cell['result']


def run_cell(cell_dir, setting, measure, *, label=''):
    """The result of the cell trained in ``cell_dir``: ``measure()`` (which trains it and
    returns a JSON-able dict) saved to ``CELL_DIR.result.json`` at once, so an interrupted
    table resumes where it stopped. None when another process holds the cell's lock (several
    processes given the same arguments share the cells)."""
    from mmnoisy.utils.io import atomic_write
    if not claim(cell_dir + '.lock'):
        print(f'{label} (being trained by another process: skipped)', flush=True)
        return None
    try:
        result = measure()
        atomic_write(cell_dir + '.result.json',
                     json.dumps(dict(setting=setting, result=result), indent=1).encode())
    finally:
        os.remove(cell_dir + '.lock')
    return result


def write_table(work_dir, payload, table, out=None):
    """End of a table run: ``payload`` to ``WORK_DIR/results.json``, the markdown ``table``
    printed and, with ``out``, written there."""
    from mmnoisy.utils.io import atomic_write
    atomic_write(osp.join(work_dir, 'results.json'), json.dumps(payload, indent=1).encode())
    print(table)
    if out:
        atomic_write(out, table.encode())


def ce_pair(network, batch, num_samples, other, setup, threads=1):
    """Two identically initialised CE classifiers ('CE' and ``other``, which ``setup(model)``
    adds a method to), their SGD wrappers, and one CIFAR-sized batch drawn from N samples."""
    import numpy as np
    import torch
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmpretrain.structures import DataSample

    import mmnoisy.all_modules  # noqa: F401
    from mmnoisy.registry import MODELS
    init_default_scope('mmnoisy')
    torch.set_num_threads(threads)
    if network == 'preactresnet18':
        backbone, width = dict(type='PreActResNet', depth=18), 512
    else:
        backbone, width = dict(type='SmallCNN', widths=(32, 64, 128)), 128
    cfg = dict(type='NoisyClassifier', backbone=backbone, neck=dict(type='GlobalAveragePooling'),
               head=dict(type='LinearClsHead', num_classes=10, in_channels=width),
               data_preprocessor=dict(num_classes=10, mean=[125.3, 123.0, 113.9],
                                      std=[63.0, 62.1, 66.7]))
    imgs = torch.randint(0, 256, (batch, 3, 32, 32), dtype=torch.uint8)
    samples = [DataSample(metainfo=dict(sample_idx=int(i))).set_gt_label(int(i) % 10)
               for i in np.random.default_rng(0).choice(num_samples, batch, replace=False)]
    data = dict(inputs=list(imgs), data_samples=samples)
    models, wrappers = {}, {}
    for name in ('CE', other):
        torch.manual_seed(0)
        model = MODELS.build(cfg)
        model.train()
        if name == other:
            setup(model)
        models[name] = model
        wrappers[name] = build_optim_wrapper(model, dict(optimizer=dict(
            type='SGD', lr=0.01, momentum=0.9)))
    return models, wrappers, data


def compare_train_steps(models, wrappers, data, repeats, base, other):
    """Time ``train_step`` of two models on the same batch in ABBA order (drift hits both
    alike): (median seconds of ``base``, median ratio other/base, its quartiles)."""
    times = {name: [] for name in models}
    for name in models:
        models[name].train_step(data, wrappers[name])
    for r in range(repeats):
        for name in (list(models) if r % 2 == 0 else list(reversed(list(models)))):
            start = time.perf_counter()
            models[name].train_step(data, wrappers[name])
            times[name].append(time.perf_counter() - start)
    ratios = [h / c for h, c in zip(times[other], times[base])]
    return statistics.median(times[base]), statistics.median(ratios), \
        statistics.quantiles(ratios, n=4)
