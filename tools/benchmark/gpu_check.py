"""GPU pack: the methods on real CIFAR-10 at full size, measured in one call on a lent GPU.

Four steps, each run through the same code as ``tools/train.py`` (the published configs,
``merge_args``, ``build_runner``), written to ``OUT/report.json`` after every measurement
(a run cut short keeps what it had) and logged to ``OUT/gpu_check.log``:

1. throughput: per method (CE, Co-teaching, DivideMix, UNICON, RoLR, CCL, VRLVMix, DynaCor
   recording) on its published network and batch, CIFAR-10 sym 50%, fp32 and AMP:
   - ``train``: images/s of the training loop (loader, hooks, train_step) over ``--timed``
     method-phase iterations after ``--warm`` ones, and the share of that time spent waiting
     for the next batch;
   - ``step``: images/s of ``train_step`` alone on one batch already loaded (no loader);
   - ``floor``: images/s of the bare forward + backward + update of the method's networks at
     the same batch, one view, CE loss, resident random data (the compute floor);
   - ``loader``: images/s of the training data loader alone, with the config's workers and
     with one per CPU core;
   - peak GPU memory of the training loop.
2. profile: where a step of DivideMix (and of CE, for reference) spends its time, from
   ``torch.profiler`` over 5 steps on a loaded batch: host and device milliseconds, kernel
   launches, waits of the host for the GPU, the costliest ops.
3. smoke: one warm-up and one method iteration of every learner (CE, SCE, GCE, HMW on each,
   Co-teaching, DivideMix, DivideMix + NegScale, DivideMix + CCL's terms, UNICON, UNICON + HMW,
   RoLR, RoLR + NegScale, CCL, VRLVMix, DynaCor with its detection, DDyna-S), with AMP on a GPU;
   the losses must be finite.
4. accuracy: CE and DivideMix on the full training set at sym 50% with their published
   configs, the schedule cut where the time budget ends (DivideMix's warm-up shortened to
   ``--acc-warmup`` epochs; the learning rate of both is constant over the epochs that fit):
   test accuracy, wall time of every epoch (eval pass, iterations, validation).

Prepare here (downloads the wheels the device lacks, copies the CIFAR-10 data, measures what
travels against the device tool's 64 MiB)::

    python tools/benchmark/gpu_check.py --prepare

then on the device (``carry=['.gpu_pack']``; docs/benchmarks.md has the call)::

    bash tools/benchmark/gpu_check.sh

and on a CPU, the same code path on tiny data and tiny networks (what CI runs)::

    python tools/benchmark/gpu_check.py --dry-run --out DIR
"""
import argparse
import copy
import functools
import gc
import json
import os
import os.path as osp
import pickle
import platform
import shutil
import subprocess
import sys
import time
import traceback

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

from tools.benchmark.harness import noisy_dataset, walk_dicts  # noqa: E402  (stdlib only)

#: what the device image lacks (it has torch, torchvision, numpy, scikit-learn, opencv,
#: matplotlib, pandas, rich, einops, pyyaml, click, markdown, zipp, tqdm): mmengine, mmpretrain
#: and mmcv-lite with the dependencies they import, cleanlab (DynaCor's CL baseline) and
#: setuptools < 81 (mmengine imports pkg_resources)
WHEELS = ('mmengine==0.10.7', 'mmpretrain==1.2.0', 'mmcv-lite==2.2.0', 'addict==2.4.0',
          'yapf==0.43.0', 'platformdirs==4.14.8', 'termcolor==3.3.0', 'mat4py==0.6.0',
          'modelindex==0.0.2', 'model-index==0.1.11', 'ordered-set==4.1.0',
          'importlib-metadata==8.7.0', 'zipp==3.23.0', 'cleanlab==2.9.0', 'setuptools==80.10.2')
PLATFORMS = ('manylinux_2_28_x86_64', 'manylinux_2_27_x86_64', 'manylinux_2_17_x86_64',
             'manylinux2014_x86_64', 'manylinux1_x86_64')
TRAVEL_LIMIT = 64 * 2**20
DEFAULT_PACK = '.gpu_pack'
SHARED_DATA = osp.join(osp.dirname(ROOT), 'shared', 'data')

_CO_TRAINING_NET = 'configs/_base_/models/preact_resnet18.py'
#: name -> (config, changes); the published CIFAR-10 config of each method (sym 50% where the
#: paper has it). Co-teaching has no PreAct-ResNet-18 config (its paper used a 9-layer CNN):
#: its CPU config runs with the published network of the others, batch 128.
THROUGHPUT = {
    'CE': ('configs/baselines/ce_preactresnet18_1xb64-250e_cifar10-sym50.py', {}),
    'Co-teaching': ('configs/coteaching/coteaching_smallcnn_cifar10_sym50.py',
                    dict(network=_CO_TRAINING_NET)),
    'DivideMix': ('configs/dividemix/dividemix_preactresnet18_1xb64-300e_cifar10-sym50.py', {}),
    'UNICON': ('configs/unicon/unicon_preactresnet18_1xb64-250e_cifar10-sym50.py', {}),
    'RoLR': ('configs/rolr/rolr_preactresnet18_1xb448-515e_cifar10-sym50.py', {}),
    'CCL': ('configs/ccl/ccl_resnet18_1xb128-500e_cifar10-sym50.py', {}),
    # VRLV needs tau + 1 recorded epochs before its first selection: tau = 2 and 3 short
    # warm-up epochs here (tau changes the selection's cost, not the step's)
    'VRLVMix': ('configs/vrlvmix/vrlvmix_preactresnet18_1xb64-300e_cifar10-sym50.py',
                dict(warmup=3, hooks=dict(
                    VRLVSelectionHook=dict(tau=2),
                    SampleRecordHook=dict(signals=dict(loss=3, pred=3, feature=1))))),
    # recording the dynamics while training; the detection after training is not timed
    'DynaCor': ('configs/dynacor/dynacor_resnet34_1xb128-100e_cifar10-sym60.py',
                dict(rate=0.5, drop_hooks=('NoisyLabelDetectionHook', ))),
}
_HMW = 'configs/hmw/'
SMOKE = {
    'CE': (THROUGHPUT['CE'][0], {}),
    'SCE': ('configs/baselines/sce_preactresnet18_1xb64-250e_cifar10-sym50.py', {}),
    'GCE': ('configs/baselines/gce_preactresnet18_1xb64-250e_cifar10-sym50.py', {}),
    'CE+HMW': (_HMW + 'hmw-ce_preactresnet18_1xb128-250e_cifar10-sym50.py', {}),
    'SCE+HMW': (_HMW + 'hmw-sce_preactresnet18_1xb128-250e_cifar10-sym50.py', {}),
    'GCE+HMW': (_HMW + 'hmw-gce_preactresnet18_1xb128-250e_cifar10-sym50.py', {}),
    'Co-teaching': THROUGHPUT['Co-teaching'],
    'DivideMix': THROUGHPUT['DivideMix'],
    'DivideMix+NegScale': (
        'configs/negscale/negscale_dividemix_preactresnet18_1xb64-300e_cifar10-sym50.py', {}),
    'DivideMix+CCL': (
        'configs/ccl/ablation/dividemix-cvl-cml_preactresnet18_1xb64-300e_cifar10-sym50.py', {}),
    'UNICON': THROUGHPUT['UNICON'],
    'UNICON+HMW': ('configs/unicon/hmw-unicon_preactresnet18_1xb64-250e_cifar10-sym50.py', {}),
    'RoLR': THROUGHPUT['RoLR'],
    'RoLR+NegScale': (
        'configs/negscale/negscale_rolr_preactresnet18_1xb448-515e_cifar10-sym50.py', {}),
    'CCL': THROUGHPUT['CCL'],
    'VRLVMix': THROUGHPUT['VRLVMix'],
    'DynaCor': (THROUGHPUT['DynaCor'][0], dict(rate=0.5)),
    # the published DDyna-S setting is CIFAR-100 (not on these machines): CIFAR-10 here
    'DDyna-S': ('configs/dynacor/ddyna-s_dividemix_preactresnet18_1xb64-300e_cifar100-ins40.py',
                dict(cifar10=True)),
}
ACCURACY = {
    'DivideMix': THROUGHPUT['DivideMix'][0],
    'CE': THROUGHPUT['CE'][0],
}
#: whose step the profile step breaks down: DivideMix (the per-epoch goal) and CE (reference)
PROFILE = {'CE': THROUGHPUT['CE'], 'DivideMix': THROUGHPUT['DivideMix']}
STEPS = {'throughput': THROUGHPUT, 'profile': PROFILE, 'smoke': SMOKE, 'accuracy': ACCURACY}
TINY_WIDTHS = (8, 16, 16)


# ----------------------------------------------------------------------------- the report
class Report:
    """The JSON report, rewritten (atomically) after every change, and the log."""

    def __init__(self, out_dir, meta):
        os.makedirs(out_dir, exist_ok=True)
        self.path = osp.join(out_dir, 'report.json')
        self.log_path = osp.join(out_dir, 'gpu_check.log')
        self.start = time.time()
        self.data = dict(meta, **{step: {} for step in STEPS})
        self.save()

    def elapsed(self):
        return time.time() - self.start

    def log(self, msg):
        line = f'[gpu_check {self.elapsed():6.1f}s] {msg}'
        print(line, flush=True)
        with open(self.log_path, 'a') as f:
            f.write(line + '\n')

    def set(self, section, key, value):
        self.data[section][key] = value
        self.save()

    def save(self):
        tmp = self.path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(self.data, f, indent=1, default=str)
        os.replace(tmp, self.path)


# ----------------------------------------------------------------------------- configs
def tiny_networks(model_cfg):
    """Every network in ``model_cfg`` becomes a small CNN (``TINY_WIDTHS``) with a linear head."""
    def shrink(node):
        if 'backbone' in node and isinstance(node.get('head'), dict):
            node['backbone'] = dict(type='SmallCNN', widths=TINY_WIDTHS)
            node['neck'] = dict(type='GlobalAveragePooling')
            node['head']['in_channels'] = TINY_WIDTHS[-1]
    walk_dicts(model_cfg, shrink)


def as_cifar10(cfg):
    """A CIFAR-100 config on CIFAR-10: dataset types and 100-class heads."""
    def swap(node):
        if node.get('type') == 'CIFAR100':
            node['type'] = 'CIFAR10'
        if node.get('num_classes') == 100:
            node['num_classes'] = 10
    walk_dicts(cfg._cfg_dict, swap)


def load_config(config, changes, *, data_root, work_dir, name, subset_batches=None, warmup=None,
                max_epochs=1, validate=False, workers=None, batch_cap=None, tiny=False,
                amp=False, log_level='WARNING'):
    """The published ``config`` as ``tools/train.py`` would run it, changed for one
    measurement: data under ``data_root`` (the first ``subset_batches`` training batches'
    worth of images, after ``batch_cap``), warm-ups of
    the learner and its hooks set to ``warmup``, ``max_epochs``, no checkpoints, validation
    only with ``validate``; ``changes`` of the method (see THROUGHPUT)."""
    from mmengine.config import Config

    from tools.train import merge_args, parse_args
    path = osp.join(ROOT, config)
    cfg = Config.fromfile(path)
    if changes.get('cifar10'):
        as_cifar10(cfg)
    if changes.get('network'):
        cfg.model.network = Config.fromfile(osp.join(ROOT, changes['network'])).model
    noisy = noisy_dataset(cfg.train_dataloader.dataset)
    if changes.get('rate') is not None:
        noisy.noise.rate = changes['rate']
    inner = noisy.dataset
    inner.data_root = data_root
    for loader in ('val_dataloader', 'test_dataloader'):
        if cfg.get(loader) is not None:
            cfg[loader].dataset.data_root = data_root
            if workers is not None:
                cfg[loader].num_workers = workers
    if workers is not None:
        cfg.train_dataloader.num_workers = workers
    if batch_cap is not None:
        cfg.train_dataloader.batch_size = min(cfg.train_dataloader.batch_size, batch_cap)
    if subset_batches is not None:
        inner.indices = cfg.train_dataloader.batch_size * int(subset_batches)
    cfg.train_cfg.max_epochs = max_epochs
    cfg.train_cfg.val_begin, cfg.train_cfg.val_interval = 1, 1
    warmup = changes.get('warmup', warmup)
    if warmup is not None and 'warmup_epochs' in cfg.model:
        cfg.model.warmup_epochs = warmup
    hooks = [h for h in cfg.get('custom_hooks', [])
             if h['type'] not in changes.get('drop_hooks', ())]
    for hook in hooks:
        if warmup is not None and isinstance(hook.get('warmup_epochs'), int):
            hook.warmup_epochs = warmup
        hook.update(copy.deepcopy(changes.get('hooks', {}).get(hook['type'], {})))
    cfg.custom_hooks = hooks
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10**6, save_last=False)
    cfg.default_hooks.logger.interval = 50
    if tiny:
        tiny_networks(cfg.model)
    cfg.log_level = log_level
    cfg.experiment_name = name
    # no persistent workers: a loader's persistent workers took 5 s each to shut down
    argv = [path, '--work-dir', work_dir, '--no-persistent-workers'] + \
        (['--amp'] if amp else []) + ([] if validate else ['--no-validate'])
    return merge_args(cfg, parse_args(argv))


# ----------------------------------------------------------------------------- timing
class _Done(Exception):
    """Raised by the timer once the timed iterations are over (ends runner.train())."""


def _sync():
    import torch
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _batch_size(data_batch):
    samples = data_batch['data_samples']
    return len(samples)


def make_iter_timer(warm, timed):
    """A hook that times ``timed`` method-phase iterations of the training loop after ``warm``
    ones (warm-up epochs of a learner are not counted), keeps the last batch, and ends the
    run (``_Done``)."""
    from mmengine.hooks import Hook

    from mmnoisy.engine.utils import unwrap

    class IterTimer(Hook):
        priority = 'LOWEST'

        def __init__(self):
            self.count, self.images, self.wait, self.step = 0, 0, 0.0, 0.0
            self.t0 = self.tick = self.last_end = None
            self.batch = None

        def counting(self, runner):
            model = unwrap(runner.model)
            return not (hasattr(model, 'in_warmup') and model.in_warmup())

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            if not self.counting(runner):
                return
            now = time.perf_counter()
            if self.count == warm:
                _sync()
                now = self.t0 = time.perf_counter()
            elif self.count > warm and self.last_end is not None:
                self.wait += now - self.last_end
            self.tick, self.batch = now, data_batch

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            if not self.counting(runner):
                return
            self.count += 1
            if self.count > warm:
                self.images += _batch_size(data_batch)
            if self.count == warm + timed:
                _sync()
                end = time.perf_counter()
                self.step += end - self.tick
                self.elapsed = end - self.t0
                raise _Done
            self.last_end = time.perf_counter()
            if self.count > warm:
                self.step += self.last_end - self.tick

    return IterTimer()


def _rate(fn, warm, timed, images):
    """images/s of ``fn`` (one call = ``images`` images) over ``timed`` calls after ``warm``."""
    for _ in range(warm):
        fn()
    _sync()
    start = time.perf_counter()
    for _ in range(timed):
        fn()
    _sync()
    return images * timed / (time.perf_counter() - start)


def floor_rate(model, optim_wrapper, batch, warm, timed):
    """images/s of the bare forward + backward + update of the model's networks (each one
    view of ``batch`` random images, CE loss), data resident on the device."""
    import torch
    import torch.nn.functional as F
    names = getattr(model, 'networks', None)
    if names:
        nets = [(getattr(model, n), optim_wrapper[n]) for n in names]
    else:
        nets = [(model, optim_wrapper)]
    device = next(model.parameters()).device
    g = torch.Generator(device='cpu').manual_seed(0)
    x = torch.randn(batch, 3, 32, 32, generator=g).to(device)
    y = torch.randint(0, 10, (batch, ), generator=g).to(device)

    def step():
        for net, wrapper in nets:
            with wrapper.optim_context(net):
                loss = F.cross_entropy(net(x, mode='tensor').float(), y)
            wrapper.update_params(loss)
    return _rate(step, warm, timed, batch)


def loader_batches(workers, timed, per_worker=8):
    """Batches to time a loader over: enough that the ``2 * workers`` batches its workers
    prefetch while the first one is awaited are a small part of them (else the count
    measures how fast a full queue drains, not how fast the workers fill it)."""
    return max(timed, per_worker * max(workers, 1))


def loader_rate(loader, warm, timed, workers=None):
    """images/s of iterating ``loader`` alone (or a copy of it with ``workers`` workers)
    over ``timed`` batches after ``warm``."""
    from torch.utils.data import DataLoader
    if workers is not None:
        # the loader's own batch sampler when it has one (two-stream batches), else its sampler
        batching = dict(batch_sampler=loader.batch_sampler) if loader.batch_size is None else \
            dict(batch_size=loader.batch_size, sampler=loader.sampler, drop_last=loader.drop_last)
        loader = DataLoader(loader.dataset, num_workers=workers, collate_fn=loader.collate_fn,
                            worker_init_fn=loader.worker_init_fn, pin_memory=loader.pin_memory,
                            **batching)
    if len(loader) < warm + timed:
        raise ValueError(f'the loader has {len(loader)} batches, fewer than the {warm} + '
                         f'{timed} to time')
    it = iter(loader)
    for _ in range(warm):
        next(it)
    start, images = time.perf_counter(), 0
    for _ in range(timed):
        images += _batch_size(next(it))
    rate = images / (time.perf_counter() - start)
    del it
    return rate


def loader_rates(config, changes, args):
    """images/s of the method's training loader alone, over enough images for the largest
    worker count, with the config's workers, 8 and one per CPU core."""
    from mmnoisy.engine import NoisyRunner
    cfg = load_config(config, changes, data_root=args.data_root, work_dir='/dev/null',
                      name='loader', tiny=args.dry_run, batch_cap=args.batch_cap,
                      workers=args.workers)
    counts = sorted({cfg.train_dataloader.num_workers, min(8, os.cpu_count()), os.cpu_count()})
    most = loader_batches(max(counts), args.timed, args.per_worker)
    noisy_dataset(cfg.train_dataloader.dataset).dataset.indices = \
        cfg.train_dataloader.batch_size * (most + 3)
    loader = NoisyRunner.build_dataloader(cfg.train_dataloader, seed=0)
    if hasattr(loader.batch_sampler, 'labelled_sets'):
        # two-stream batches without a learner: the warm-up plan (every sample, per network)
        # in batches of the configured size
        loader.batch_sampler.labelled_sets = lambda epoch: None
        loader.batch_sampler.warmup_batch_size = loader.batch_sampler.batch_size
    rates = {str(w): loader_rate(loader, 2, loader_batches(w, args.timed, args.per_worker), w)
             for w in counts}
    return dict(workers=cfg.train_dataloader.num_workers, images_per_s=rates)


def _cuda_memory():
    import torch
    if not torch.cuda.is_available():
        return None
    return dict(peak_allocated_mib=round(torch.cuda.max_memory_allocated() / 2**20),
                peak_reserved_mib=round(torch.cuda.max_memory_reserved() / 2**20))


def _reset_cuda():
    import torch
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def run_to_method_phase(name, precision, args, timed):
    """The runner of method ``name`` trained through ``args.warm`` + ``timed`` method-phase
    iterations on a subset just large enough; returns (config, batch, runner, timer)."""
    from mmengine.config import Config

    from mmnoisy.utils.tools import build_runner
    config, changes = THROUGHPUT[name]
    warmup = changes.get('warmup', 0)
    run = f'{_slug(name)}_{precision}_{timed}'
    # enough images for the warm + timed iterations in one epoch (RoLR's sampler makes 2 passes;
    # two-stream batches: an epoch is each network's labelled set, which may be a small share)
    streams = 'batch_sampler' in Config.fromfile(osp.join(ROOT, config)).train_dataloader
    cfg = load_config(config, changes, data_root=args.data_root,
                      subset_batches=(args.warm + timed + 2) * (4 if streams else 1), warmup=warmup,
                      max_epochs=warmup + 1, tiny=args.dry_run,
                      batch_cap=args.batch_cap, workers=args.workers, amp=precision == 'amp',
                      work_dir=osp.join(args.work_dir, run), name=run)
    batch = cfg.train_dataloader.batch_size
    _reset_cuda()
    runner = build_runner(cfg)
    timer = make_iter_timer(args.warm, timed)
    runner.register_hook(timer)
    try:
        runner.train()
        raise RuntimeError(f'the epoch ended before {args.warm + timed} method iterations')
    except _Done:
        pass
    return cfg, batch, runner, timer


def measure_throughput(name, precision, args):
    """One method at one precision: train / step / floor / loader rates and memory."""
    config, changes = THROUGHPUT[name]
    cfg, batch, runner, timer = run_to_method_phase(name, precision, args, args.timed)
    result = dict(config=config, batch=batch, workers=cfg.train_dataloader.num_workers,
                  train_images_per_s=timer.images / timer.elapsed,
                  loader_wait_share=timer.wait / timer.elapsed,
                  memory=_cuda_memory())
    model, wrapper = runner.model, runner.optim_wrapper
    result['step_images_per_s'] = _rate(lambda: model.train_step(timer.batch, wrapper),
                                        2, args.timed, _batch_size(timer.batch))
    result['floor_images_per_s'] = floor_rate(model, wrapper, batch, 2, args.timed)
    del runner
    if precision == 'fp32':
        result['loader'] = loader_rates(config, changes, args)
    result['train_vs_step'] = result['train_images_per_s'] / result['step_images_per_s']
    result['step_vs_floor'] = result['step_images_per_s'] / result['floor_images_per_s']
    return result


# ----------------------------------------------------------------------------- profile
#: the host waiting for the GPU (``.item()``, ``int()`` / ``bool()`` of a device tensor,
#: indexing with a device mask, a copy to the host); none without a GPU
SYNC_CALLS = ('cudaStreamSynchronize', 'cudaDeviceSynchronize', 'cudaEventSynchronize')


def profile_step(name, args, steps=5):
    """Where a step of method ``name`` (fp32) spends its time: ``torch.profiler`` over
    ``steps`` ``train_step`` calls on a loaded batch: per step, host and device milliseconds,
    kernel launches, waits of the host for the GPU, scalar reads and mask-to-index calls (on
    any device), and the ops that take the most host and device time."""
    import torch
    from torch.profiler import ProfilerActivity, profile
    _, batch, runner, timer = run_to_method_phase(name, 'fp32', args, 2)
    model, wrapper = runner.model, runner.optim_wrapper
    for _ in range(2):
        model.train_step(timer.batch, wrapper)
    _sync()
    activities = [ProfilerActivity.CPU]
    cuda = torch.cuda.is_available()
    if cuda:
        activities.append(ProfilerActivity.CUDA)
    # one known wait per step (a scalar read after it) shows that the waits are counted
    probe = torch.zeros(1, device=next(model.parameters()).device)
    start = time.perf_counter()
    with profile(activities=activities) as prof:
        for _ in range(steps):
            model.train_step(timer.batch, wrapper)
            probe.item()
        _sync()
    wall = (time.perf_counter() - start) / steps
    events = prof.key_averages()

    def device_us(e):
        return getattr(e, 'self_device_time_total', getattr(e, 'self_cuda_time_total', 0))

    def per_step(key):
        return sum(e.count for e in events if e.key == key) / steps

    def top(key_fn):
        rows = sorted(events, key=key_fn, reverse=True)[:12]
        return [dict(op=e.key, calls=e.count / steps, ms=key_fn(e) / 1000 / steps)
                for e in rows if key_fn(e) > 0]
    return dict(batch=batch, steps=steps, wall_ms=wall * 1000,
                host_ms=sum(e.self_cpu_time_total for e in events) / 1000 / steps,
                device_ms=sum(device_us(e) for e in events) / 1000 / steps,
                kernel_launches=per_step('cudaLaunchKernel'),
                # less the probe's; sync_counted: whether the probe's waits were seen
                device_syncs=sum(per_step(k) for k in SYNC_CALLS) - (1 if cuda else 0),
                sync_counted=bool(cuda and sum(per_step(k) for k in SYNC_CALLS) >= 1),
                scalar_reads=per_step('aten::_local_scalar_dense') - 1,
                nonzero_calls=per_step('aten::nonzero'),
                top_host=top(lambda e: e.self_cpu_time_total), top_device=top(device_us))


# ----------------------------------------------------------------------------- smoke
def _nonempty_streams_hook():
    """A hook for the smoke: a selection on one batch of images can be empty (UNICON's per-class
    quota) or everything, and the method step would then not run; each labelled set keeps at
    least one labelled and one unlabelled sample."""
    import numpy as np
    from mmengine.hooks import Hook

    class NonEmptyStreams(Hook):

        def before_train(self, runner):
            sampler = runner.train_loop.dataloader.batch_sampler
            inner = sampler.labelled_sets

            def labelled_sets(epoch):
                masks = inner(epoch)
                if masks is None:
                    return None
                out = []
                for m in masks:
                    m = np.array(m, bool)
                    m[0], m[-1] = m[0] or not m.any(), m[-1] and not m.all()
                    out.append(m)
                return out
            sampler.labelled_sets = labelled_sets

    return NonEmptyStreams()


def run_smoke(name, args):
    """One warm-up and one method iteration of ``name`` (``warmup + 1`` epochs of one batch)."""
    import numpy as np

    from mmnoisy.utils.tools import build_runner
    config, changes = SMOKE[name]
    warmup = changes.get('warmup', 1)
    cfg = load_config(config, changes, data_root=args.data_root, subset_batches=1, warmup=warmup,
                      max_epochs=warmup + 1, tiny=args.dry_run, batch_cap=args.batch_cap,
                      workers=args.workers, amp=args.amp, name=f'smoke_{_slug(name)}',
                      work_dir=osp.join(args.work_dir, f'smoke_{_slug(name)}'))
    streams = 'batch_sampler' in cfg.train_dataloader
    if streams:
        # two-stream batches: a labelled set smaller than a batch must still give an iteration
        cfg.train_dataloader.batch_sampler.drop_last = False
    batch = cfg.train_dataloader.batch_size
    _reset_cuda()
    runner = build_runner(cfg)
    if streams:
        runner.register_hook(_nonempty_streams_hook(), priority='LOWEST')
    start = time.perf_counter()
    runner.train()
    scalars = runner.message_hub.log_scalars
    losses = {k[len('train/'):]: float(v.current()) for k, v in scalars.items()
              if k.startswith('train/') and 'loss' in k}
    result = dict(config=config, batch=batch, amp=args.amp, iterations=runner.iter,
                  seconds=time.perf_counter() - start, losses=losses,
                  finite=bool(losses) and all(np.isfinite(v) for v in losses.values()),
                  memory=_cuda_memory())
    del runner
    _reset_cuda()
    return result


# ----------------------------------------------------------------------------- accuracy
def stop_after(now, deadline, last_epoch_s, margin=1.05):
    """Whether a run must stop after this epoch: the next one (as long as the last) would end
    past ``deadline``."""
    return now + margin * last_epoch_s > deadline


def make_epoch_clock(deadline, epochs, grace=30.0):
    """A hook that records each epoch's times (the eval pass before the first iteration, the
    iterations, the validation) and test accuracy into ``epochs``, and stops training when
    the next epoch would end past ``deadline`` (``time.time()`` seconds); an epoch still
    running ``grace`` seconds after the deadline is cut short (``_Done``)."""
    from mmengine.hooks import Hook

    class EpochClock(Hook):
        priority = 'HIGHEST'

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            if time.time() > deadline + grace:  # an epoch far longer than the last one
                raise _Done

        def before_train_epoch(self, runner):
            _sync()
            self.t_epoch, self.t_iter = time.time(), None

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            if self.t_iter is None:
                _sync()
                self.t_iter = time.time()

        def before_val_epoch(self, runner):
            _sync()
            self.t_val = time.time()

        def after_val_epoch(self, runner, metrics=None):
            _sync()
            now = time.time()
            top1 = (metrics or {}).get('accuracy/top1')
            row = dict(epoch=runner.epoch, top1=None if top1 is None else float(top1),
                       pass_s=self.t_iter - self.t_epoch, iter_s=self.t_val - self.t_iter,
                       val_s=now - self.t_val, epoch_s=now - self.t_epoch)
            epochs.append(row)
            if stop_after(now, deadline, row['epoch_s']):
                runner.train_loop.stop_training = True

    return EpochClock()


def run_accuracy(name, deadline, args, report):
    """``name`` on the whole training set until ``deadline``; rows per epoch into the report."""
    from mmnoisy.utils.tools import build_runner
    config = ACCURACY[name]
    changes = {}
    work_dir = osp.join(args.work_dir, f'accuracy_{_slug(name)}')
    cfg = load_config(config, changes, data_root=args.data_root, warmup=args.acc_warmup,
                      max_epochs=args.acc_max_epochs, validate=True, tiny=args.dry_run,
                      batch_cap=args.batch_cap, workers=args.acc_workers, work_dir=work_dir,
                      name=f'accuracy_{_slug(name)}', log_level='INFO')
    if 'warmup_epochs' not in cfg.model:
        cfg.train_cfg.max_epochs = args.acc_max_epochs
    epochs = []
    entry = dict(config=config, warmup_epochs=cfg.model.get('warmup_epochs'),
                 workers=cfg.train_dataloader.num_workers, epochs=epochs)
    report.set('accuracy', name, entry)
    _reset_cuda()
    runner = build_runner(cfg)
    runner.register_hook(make_epoch_clock(deadline, epochs))

    from mmengine.hooks import Hook

    class SaveReport(Hook):  # the report after every epoch
        priority = 'LOWEST'

        def after_val_epoch(self, runner, metrics=None):
            report.set('accuracy', name, entry)
            row = epochs[-1]
            report.log(f'accuracy {name} epoch {row["epoch"]}: top1 {row["top1"]} '
                       f'(pass {row["pass_s"]:.1f} s, iterations {row["iter_s"]:.1f} s, '
                       f'validation {row["val_s"]:.1f} s)')
    runner.register_hook(SaveReport())
    try:
        runner.train()
    except _Done:
        entry['cut_short'] = f'epoch {runner.epoch + 1} stopped at iteration {runner.iter}'
    selection = osp.join(work_dir, 'selection_quality.json')
    if osp.exists(selection):
        with open(selection) as f:
            entry['selection'] = [{k: v for k, v in e.items()} for e in json.load(f)['epochs']]
    entry['memory'] = _cuda_memory()
    logs = sorted(
        osp.join(dp, f) for dp, _, files in os.walk(work_dir) for f in files if f.endswith('.log'))
    if logs:
        shutil.copy(logs[-1], osp.join(args.out, f'accuracy_{_slug(name)}.log'))
    report.set('accuracy', name, entry)
    del runner
    _reset_cuda()


# ----------------------------------------------------------------------------- data
def write_tiny_cifar10(root, num_train, num_test, seed=0):
    """The official cifar-10-batches-py layout with random images (the dry run's data)."""
    import numpy as np
    rng = np.random.default_rng(seed)
    folder = osp.join(root, 'cifar-10-batches-py')
    os.makedirs(folder, exist_ok=True)

    def batch(n, name, offset):
        labels = [(offset + i) % 10 for i in range(n)]
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        return {'batch_label': name, 'labels': labels, 'data': data,
                'filenames': [f'{name}_{i}.png' for i in range(n)]}
    per = -(-num_train // 5)
    for b in range(5):
        n = min(per, num_train - b * per)
        with open(osp.join(folder, f'data_batch_{b + 1}'), 'wb') as f:
            pickle.dump(batch(n, f'data_batch_{b + 1}', b * per), f, protocol=2)
    with open(osp.join(folder, 'test_batch'), 'wb') as f:
        pickle.dump(batch(num_test, 'test_batch', 0), f, protocol=2)
    with open(osp.join(folder, 'batches.meta'), 'wb') as f:
        pickle.dump({'label_names': [f'c{i}' for i in range(10)], 'num_cases_per_batch': per,
                     'num_vis': 3072}, f, protocol=2)
    return root


def build_data(args, report):
    """CIFAR-10 under ``args.data_root``: the real one built from the pack, or tiny random
    images for the dry run; an existing cifar-10-batches-py is used as it is."""
    if osp.isfile(osp.join(args.data_root, 'cifar-10-batches-py', 'test_batch')):
        return
    start = time.time()
    if args.dry_run:
        write_tiny_cifar10(args.data_root, args.dry_train, args.dry_test)
    else:
        maker = osp.join(args.pack, 'data', 'make_cifar10.py')
        if not osp.isfile(maker):
            raise SystemExit(f'no CIFAR-10 under {args.data_root} and no {maker}: run '
                             'python tools/benchmark/gpu_check.py --prepare first')
        subprocess.run([sys.executable, maker, args.data_root], check=True)
    report.data['data_build_s'] = time.time() - start
    report.save()


# ----------------------------------------------------------------------------- prepare
def travelling_bytes(root, extra=()):
    """Bytes the device tool would send from the checkout ``root``: tracked files, untracked
    files git does not ignore, and the carried paths ``extra``."""
    out = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                         cwd=root, capture_output=True, check=True).stdout
    files = {f for f in out.decode().split('\0') if f}
    total = sum(osp.getsize(osp.join(root, f)) for f in files if osp.isfile(osp.join(root, f)))
    for path in extra:
        for dp, _, names in os.walk(osp.join(root, path)):
            total += sum(osp.getsize(osp.join(dp, n)) for n in names)
    return total


def prepare(args):
    """Fill the pack: the wheels the device lacks and the CIFAR-10 data; check the size."""
    pack = osp.join(ROOT, args.pack)
    wheels, data = osp.join(pack, 'wheels'), osp.join(pack, 'data')
    os.makedirs(wheels, exist_ok=True)
    os.makedirs(data, exist_ok=True)
    cmd = [sys.executable, '-m', 'pip', 'download', '--quiet', '--no-deps',
           '--only-binary=:all:', '--python-version', '3.12', '--implementation', 'cp',
           '-d', wheels]
    for p in PLATFORMS:
        cmd += ['--platform', p]
    subprocess.run(cmd + list(WHEELS), check=True)
    for name in ('cifar10_jpeg_q75.npz', 'make_cifar10.py'):
        src = osp.join(args.shared_data, name)
        if not osp.isfile(src):
            raise SystemExit(f'{src} not found: --shared-data names the folder that holds '
                             'cifar10_jpeg_q75.npz and make_cifar10.py')
        dst = osp.join(data, name)
        if not osp.exists(dst) or osp.getsize(dst) != osp.getsize(src):
            shutil.copyfile(src, dst)
    ignored = subprocess.run(['git', 'check-ignore', '-q', args.pack], cwd=ROOT).returncode == 0
    if not ignored:
        raise SystemExit(f'{args.pack} is not git-ignored: it would travel twice')
    size = travelling_bytes(ROOT, [args.pack])
    pack_size = size - travelling_bytes(ROOT)
    print(f'pack {args.pack}: {pack_size / 2**20:.1f} MiB; everything that travels: '
          f'{size / 2**20:.1f} MiB of {TRAVEL_LIMIT / 2**20:.0f} MiB')
    if size > TRAVEL_LIMIT:
        raise SystemExit('over the device tool\'s limit: remove untracked files that git does '
                         'not ignore, or carry less')


# ----------------------------------------------------------------------------- main
def _slug(name):
    return name.lower().replace('-', '').replace('+', '_')


def environment(args):
    import numpy as np
    import torch
    meta = dict(started=time.strftime('%Y-%m-%d %H:%M:%S %Z'), dry_run=args.dry_run,
                python=platform.python_version(), torch=torch.__version__,
                numpy=np.__version__, cuda=torch.version.cuda, cpu_count=os.cpu_count(),
                device=torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu',
                warm=args.warm, timed=args.timed, budget_s=args.budget_s)
    for mod in ('mmengine', 'mmpretrain', 'mmcv'):
        try:
            meta[mod] = __import__(mod).__version__
        except Exception as e:  # noqa: BLE001 - reported, not fatal
            meta[mod] = f'import failed: {e}'
    return meta


def _attempt(report, section, key, fn):
    """Run one measurement; its result or its error goes into the report."""
    report.log(f'{section} {key} ...')
    start = time.time()
    try:
        result = fn()
        result['wall_s'] = round(time.time() - start, 1)
        report.set(section, key, result)
        report.log(f'{section} {key}: ' + ', '.join(
            f'{k} {v:.3g}' if isinstance(v, float) else f'{k} {v}' for k, v in result.items()
            if k not in ('config', 'memory', 'losses', 'top_host', 'top_device')))
    except Exception as e:  # noqa: BLE001 - one failure must not end the pack
        report.set(section, key, dict(error=f'{type(e).__name__}: {e}',
                                      traceback=traceback.format_exc(limit=-12)))
        report.log(f'{section} {key} FAILED: {type(e).__name__}: {e}')


def summary(report):
    """The short table printed last."""
    d = report.data
    lines = [f"device: {d['device']}; torch {d['torch']}; {d['cpu_count']} CPU cores"]
    lines.append('throughput (images/s)   train    step   floor  loader(workers: rate)  '
                 'wait  mem MiB')
    for key, r in d['throughput'].items():
        if 'error' in r:
            lines.append(f'{key:22s} ERROR {r["error"][:80]}')
            continue
        loader = ' '.join(f'{w}:{v:.0f}' for w, v in r['loader']['images_per_s'].items()) \
            if 'loader' in r else '-'

        mem = (r.get('memory') or {}).get('peak_allocated_mib', '-')
        lines.append(f"{key:22s} {r['train_images_per_s']:6.0f} {r['step_images_per_s']:7.0f} "
                     f"{r['floor_images_per_s']:7.0f} {loader:>21s} "
                     f"{r['loader_wait_share']:5.2f} {mem:>8}")
    for name, r in d['profile'].items():
        if 'error' in r:
            lines.append(f'profile {name}: ERROR {r["error"][:80]}')
            continue
        lines.append(f"profile {name} (per step): wall {r['wall_ms']:.1f} ms, host "
                     f"{r['host_ms']:.1f} ms, device {r['device_ms']:.1f} ms, "
                     f"{r['kernel_launches']:.0f} kernel launches, {r['device_syncs']:.0f} "
                     f"waits for the GPU{'' if r['sync_counted'] else ' (not counted here)'}, "
                     f"{r['scalar_reads']:.0f} scalar reads, "
                     f"{r['nonzero_calls']:.0f} nonzero")
    bad = [k for k, r in d['smoke'].items() if 'error' in r or not r.get('finite')]
    lines.append(f"smoke: {len(d['smoke']) - len(bad)} of {len(d['smoke'])} learners ran with "
                 f"finite losses{'; failed: ' + ', '.join(bad) if bad else ''}")
    for name, r in d['accuracy'].items():
        if 'error' in r:
            lines.append(f'accuracy {name}: ERROR {r["error"][:80]}')
            continue
        rows = r.get('epochs', [])
        curve = ' '.join(f"{e['top1']:.1f}" for e in rows if e.get('top1') is not None)
        per = [e['epoch_s'] for e in rows]
        lines.append(f'accuracy {name} ({len(rows)} epochs, {max(per) if per else 0:.1f} s '
                     f'per epoch at most): {curve}')
    return '\n'.join(lines)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split('\n', 2)[2])
    p.add_argument('--prepare', action='store_true',
                   help='download the wheels, copy the data into the pack, check its size')
    p.add_argument('--dry-run', action='store_true',
                   help='the same code path on a CPU with tiny random data and small CNNs')
    p.add_argument('--out', default=os.environ.get('OUT', 'work_dirs/gpu_check'),
                   help='where report.json and the logs go ($OUT on the device)')
    p.add_argument('--pack', default=DEFAULT_PACK, help='the git-ignored folder that travels')
    p.add_argument('--shared-data', default=SHARED_DATA,
                   help='folder with cifar10_jpeg_q75.npz and make_cifar10.py (--prepare)')
    p.add_argument('--data-root', help='CIFAR-10 root (built there when missing)')
    p.add_argument('--work-dir', help='work dirs of the runs (default: a temporary folder)')
    p.add_argument('--budget-s', type=float, default=480,
                   help='seconds for everything; the accuracy runs stop in time')
    p.add_argument('--warm', type=int, default=5, help='untimed method iterations first')
    p.add_argument('--timed', type=int, default=20, help='timed iterations')
    p.add_argument('--acc-warmup', type=int, default=2,
                   help="DivideMix's warm-up epochs in the accuracy run (published: 10)")
    p.add_argument('--acc-workers', type=int, default=8,
                   help='data loader workers of the accuracy runs (configs: 2)')
    p.add_argument('--acc-max-epochs', type=int, default=300)
    p.add_argument('--steps', nargs='+', default=list(STEPS), choices=list(STEPS))
    p.add_argument('--precisions', nargs='+', default=['fp32', 'amp'], choices=['fp32', 'amp'],
                   help='of the throughput step (AMP only where CUDA is)')
    p.add_argument('--methods', nargs='+', help='only these methods (every step)')
    for step, table in STEPS.items():
        p.add_argument(f'--{step}-methods', nargs='+', choices=list(table),
                       help=f'only these methods in the {step} step')
    args = p.parse_args(argv)
    args.batch_cap, args.per_worker, args.workers = None, 8, None  # workers: the configs'
    if args.dry_run:
        # tiny everything: what is measured is that the code path runs, not the numbers
        args.warm, args.timed, args.batch_cap, args.per_worker = 1, 2, 16, 1
        args.workers = 2
        args.acc_warmup, args.acc_max_epochs, args.acc_workers = 1, 2, 0
        args.dry_train, args.dry_test = 160, 40
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.prepare:
        return prepare(args)
    import tempfile

    import torch

    from mmnoisy.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    args.amp = torch.cuda.is_available()
    tmp = tempfile.mkdtemp(prefix='gpu_check_')
    args.work_dir = args.work_dir or osp.join(tmp, 'work_dirs')
    args.data_root = args.data_root or osp.join(tmp, 'cifar10')
    report = Report(args.out, environment(args))
    report.log(json.dumps({k: v for k, v in report.data.items() if k not in STEPS}))
    build_data(args, report)
    def keep(step, table):
        chosen = getattr(args, f'{step}_methods') or args.methods
        return [n for n in table if chosen is None or n in chosen]
    precisions = [p for p in args.precisions if args.amp or p == 'fp32']
    if not args.amp:
        report.data['amp'] = 'skipped: AMP needs CUDA (mmengine AmpOptimWrapper)'
    # each step starts no measurement once this share of the budget is spent
    jobs = {
        'throughput': (0.45, [(f'{name} {precision}',  # every method in fp32 first
                               functools.partial(measure_throughput, name, precision, args))
                              for precision in precisions
                              for name in keep('throughput', THROUGHPUT)]),
        'profile': (0.5, [(name, functools.partial(profile_step, name, args))
                          for name in keep('profile', PROFILE)]),
        'smoke': (0.55, [(name, functools.partial(run_smoke, name, args))
                         for name in keep('smoke', SMOKE)]),
    }
    for step, (share, measurements) in jobs.items():
        if step not in args.steps:
            continue
        for key, measure in measurements:
            if report.elapsed() > share * args.budget_s:
                report.log(f'{step} {key}: skipped (time budget)')
                continue
            _attempt(report, step, key, measure)
    if 'accuracy' in args.steps:
        names = keep('accuracy', ACCURACY)
        end = report.start + args.budget_s - 10
        for i, name in enumerate(names):
            share = 0.62 if i == 0 and len(names) > 1 else 1.0
            deadline = time.time() + share * (end - time.time())
            try:
                report.log(f'accuracy {name} until {deadline - report.start:.0f} s')
                run_accuracy(name, deadline, args, report)
            except Exception as e:  # noqa: BLE001
                entry = report.data['accuracy'].get(name, {})
                entry.update(error=f'{type(e).__name__}: {e}',
                             traceback=traceback.format_exc(limit=-12))
                report.set('accuracy', name, entry)
                report.log(f'accuracy {name} FAILED: {type(e).__name__}: {e}')
    report.data['total_s'] = round(report.elapsed(), 1)
    report.save()
    text = summary(report)
    with open(osp.join(args.out, 'summary.txt'), 'w') as f:
        f.write(text + '\n')
    print(text, flush=True)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
