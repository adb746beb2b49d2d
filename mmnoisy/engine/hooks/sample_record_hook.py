"""``SampleRecordHook``: decides when the per-sample record is written, and keeps it.

mode='pass': at the start of each epoch (from ``begin_epoch``), one no-grad pass of the model
    in eval mode over the whole training set, through ``pipeline`` (default: the training
    pipeline; DivideMix uses the test transform, RoLR the training one). Every signal of every
    network comes from that one pass. The values describe the weights the epoch starts from.
mode='online': the model records during its training forward pass (train mode, augmented
    batch: AUM, HMW, DynaCor); the record is merged across ranks at the end of the epoch.

The record is attached to the model (``model.sample_record``), saved in checkpoints and
restored by ``--resume``, and exported to ``{work_dir}/sample_record.npz`` after training with
the noisy and (when known) clean labels.
"""
import os.path as osp

import numpy as np
import torch
from mmengine.dist import broadcast, get_world_size, is_main_process
from mmengine.hooks import Hook

from mmnoisy.datasets.corrupted_copy import sample_info
from mmnoisy.datasets.views import PipelineView, train_transforms
from mmnoisy.engine.sample_record import SampleRecord
from mmnoisy.models.interfaces import RecordsSamples
from mmnoisy.engine.utils import (built_loop, check_begin_epoch, resolve_begin_epoch,
                                  unwrap)
from mmnoisy.registry import HOOKS

CHECKPOINT_KEY = 'sample_record'


@HOOKS.register_module()
class SampleRecordHook(Hook):
    """Record per-sample signals of the model's networks over epochs.

    Args:
        signals (dict): ``{signal: history}`` (epochs kept; None = all), signals from
            :data:`mmnoisy.selection.SIGNALS`.
        mode (str): 'pass' or 'online'.
        pipeline (list[dict] | str): the pass's pipeline (mode='pass'): a list of
            transforms; None = the training pipeline; 'train_weak' = the training pipeline
            with only the first view of its ``MultiView`` (RoLR/CCL: losses under the weak
            training transform); 'test' = the validation pipeline (DivideMix: no
            augmentation).
        begin_epoch (int | str): first epoch recorded; 'warmup' = the model's
            ``warmup_epochs`` (two-network learners).
        batch_size (int): of the pass; None = the training batch size.
        num_workers (int): of the pass's DataLoader; None = the training loader's (the pass
            also collates as the training loader does).
        topk (int): k of the top-k margins.
        export (bool | list[str]): write ``sample_record.npz`` after training (all signals,
            or those listed).
    """
    priority = 'ABOVE_NORMAL'

    def __init__(self, signals, mode='pass', pipeline=None, begin_epoch=0, batch_size=None,
                 num_workers=None, topk=1, export=True):
        if mode not in ('pass', 'online'):
            raise ValueError(f"mode must be 'pass' or 'online', got {mode!r}")
        if not signals:
            raise ValueError('SampleRecordHook needs at least one signal')
        if mode == 'online' and pipeline is not None:
            raise ValueError("pipeline is only used with mode='pass'")
        if isinstance(pipeline, str) and pipeline not in ('train_weak', 'test'):
            raise ValueError(f"pipeline must be a list of transforms, None, 'train_weak' or "
                             f"'test', got {pipeline!r}")
        self.signals, self.mode, self.pipeline = dict(signals), mode, pipeline
        self.begin_epoch = check_begin_epoch(begin_epoch)
        self.batch_size, self.num_workers = batch_size, num_workers
        self.topk, self.export = topk, export
        self.record = None
        self.loader = None

    # setup -------------------------------------------------------------------------------
    def before_run(self, runner):
        loop = built_loop(runner, 'train')
        if loop is None:
            return  # testing: nothing to record
        self.begin_epoch = resolve_begin_epoch(self.begin_epoch, runner)
        model = unwrap(runner.model)
        if not isinstance(model, RecordsSamples):
            raise TypeError(f'{type(model).__name__} cannot be recorded: it needs '
                            'record_outputs() and record_nets (mmnoisy.models.interfaces.'
                            'RecordsSamples, e.g. NoisyClassifier)')
        if self.mode == 'online' and not model.records_online:
            raise ValueError(f"SampleRecordHook(mode='online'): {type(model).__name__} does not "
                             "record during its training step; use mode='pass'")
        if model.sample_record is not None:
            raise ValueError('only one SampleRecordHook per run: list every signal the methods '
                             'need in one hook, so that one pass serves them all')
        dataset = loop.dataloader.dataset
        self.record = SampleRecord(len(dataset), self.signals, nets=model.record_nets,
                                   max_epochs=runner.max_epochs,
                                   num_classes=model.num_classes,
                                   topk=self.topk, info=sample_info(dataset))
        model.sample_record = self.record
        model.record_online = self.mode == 'online'
        runner.logger.info(
            f'per-sample record: {len(dataset)} samples x {list(self.signals)} for '
            f'{list(model.record_nets)}, mode={self.mode}, '
            f'{self.record.nbytes / 2**20:.1f} MiB allocated')
        if self.mode == 'pass':
            cfg = runner.cfg.train_dataloader
            pipeline = self._pass_pipeline(runner, dataset)
            self.loader = runner.build_dataloader(dict(
                dataset=PipelineView(dataset, pipeline),
                sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
                batch_size=self.batch_size or cfg.get('batch_size', 64),
                num_workers=cfg.get('num_workers', 0) if self.num_workers is None
                else self.num_workers,
                collate_fn=cfg.get('collate_fn', dict(type='pseudo_collate'))))

    def _pass_pipeline(self, runner, dataset):
        if self.pipeline == 'test':
            val = runner.cfg.get('val_dataloader') or runner.cfg.get('test_dataloader')
            if not val or 'pipeline' not in val.get('dataset', {}):
                raise ValueError("SampleRecordHook(pipeline='test') needs a val_dataloader "
                                 'whose dataset has a pipeline')
            return val['dataset']['pipeline']
        if self.pipeline is not None and not isinstance(self.pipeline, str):
            return self.pipeline
        return train_transforms(dataset, weak_only=self.pipeline == 'train_weak')

    # recording ---------------------------------------------------------------------------
    def before_train_epoch(self, runner):
        if self.record is None or runner.epoch < self.begin_epoch:
            return
        self.record.begin_epoch(runner.epoch)
        if self.mode == 'pass':
            self.record_pass(runner)

    def after_train_epoch(self, runner):
        # runner.epoch is still the epoch that just ran
        if self.record is not None and self.mode == 'online' and self.record.active:
            self.record.sync()

    @torch.no_grad()
    def record_pass(self, runner):
        model = unwrap(runner.model)
        if get_world_size() > 1:
            # ranks' BN statistics drift apart when buffers are not broadcast: use rank 0's,
            # as the evaluation after the epoch would
            for buf in model.buffers():
                broadcast(buf, 0)
        was_training = model.training
        model.eval()
        try:
            for data in self.loader:
                data = model.data_preprocessor(data, False)
                samples = data['data_samples']
                idx = np.array([s.sample_idx for s in samples], np.int64)
                labels = torch.cat([s.gt_label for s in samples])
                for net, (feats, logits, weights) in model.record_outputs(
                        data['inputs']).items():
                    self.record.record_batch(net, idx, logits, labels.to(logits.device),
                                             feats, weights)
        finally:
            model.train(was_training)
        self.record.sync(require_complete=True)

    # checkpoint, resume, export -----------------------------------------------------------
    def before_save_checkpoint(self, runner, checkpoint):
        if self.record is not None:
            checkpoint[CHECKPOINT_KEY] = self.record.state_dict()

    def after_load_checkpoint(self, runner, checkpoint):
        if self.record is None or not getattr(runner, '_resume', False):
            return
        if CHECKPOINT_KEY not in checkpoint:
            raise ValueError('resuming a run that records per-sample signals from a checkpoint '
                             'without a per-sample record')
        self.record.load_state_dict(checkpoint[CHECKPOINT_KEY])

    def after_train(self, runner):
        if self.record is None or not self.export or not is_main_process():
            return
        names = None if self.export is True else list(self.export)
        # with the labels, clean labels and (DynaCor) copy flags and sources of the rows
        path = self.record.export(osp.join(runner.work_dir, 'sample_record.npz'), names,
                                  self.record.info.arrays())
        runner.logger.info(f'per-sample record written to {path}')
