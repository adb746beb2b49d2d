"""``SelectionHook``: the base of the hooks that select training samples once per epoch.

A selection strategy (the GMM split, UNICON's uniform selection, VRLVMix's variance of
loss-change ranks, DynaCor's q_clean) subclasses it and implements :meth:`select`: from the
per-sample record, one :class:`~mmnoisy.models.interfaces.Selection` per network. The base
decides *when* (at the start of each epoch from ``begin_epoch``, after ``SampleRecordHook``
has recorded it), hands the selections to the learner through
:meth:`~mmnoisy.models.interfaces.TakesSelection.set_selection`, logs the selection's quality
(text log, visualizer; precision/recall/AUROC when the clean labels are known), keeps the
per-epoch history in checkpoints and writes it to ``{work_dir}/selection_quality.json``.

Start-up: the learner must take a selection (:class:`TakesSelection`) and be recorded; what
it needs is read once from :meth:`TakesSelection.selection_request`, and a strategy that does
not provide every table the learner's step reads, or that provides a labelled set the
learner would ignore, is refused.
"""
import json
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmnoisy.engine.utils import (built_loop, check_begin_epoch, resolve_begin_epoch,
                                  unwrap)
from mmnoisy.models.interfaces import RecordsSamples, TakesSelection
from mmnoisy.utils.io import atomic_write

CHECKPOINT_KEY = 'selection_quality'


class SelectionHook(Hook):
    """Args:
        signal (str): the recorded signal the strategy reads.
        begin_epoch (int | str): first epoch with a selection; 'warmup' = the model's
            ``warmup_epochs``.
        threshold (float): trust > threshold counts as trusted in the logged quality.
    """
    priority = 'NORMAL'  # after SampleRecordHook (ABOVE_NORMAL) has recorded the epoch
    method_name = 'selection'
    #: the Selection fields this strategy computes
    provides = frozenset({'trust'})
    #: fields that decide what trains; a learner that would ignore them is refused
    binding = frozenset({'labelled', 'pairs', 'pair_labels'})

    def __init__(self, signal='loss', begin_epoch=0, threshold=0.5):
        if not 0 <= threshold < 1:
            raise ValueError(f'threshold must be in [0, 1), got {threshold}')
        self.signal, self.threshold = signal, threshold
        self.begin_epoch = check_begin_epoch(begin_epoch)
        self.is_noisy = None
        self.labels = None    # the given labels of the training rows (set before the run)
        self.request = None   # the learner's SelectionRequest (set before the run)
        self.history = []  # one entry per epoch: {'epoch', net: {quality, ...}}

    def before_run(self, runner):
        if built_loop(runner, 'train') is None:
            return
        self.begin_epoch = resolve_begin_epoch(self.begin_epoch, runner)
        model = unwrap(runner.model)
        name = type(self).__name__
        if not isinstance(model, TakesSelection) or not isinstance(model, RecordsSamples):
            raise TypeError(f'{name} hands a per-sample selection to a learner that takes one '
                            f'(NoisyClassifier, DivideMix, RoLR, ...), not '
                            f'{type(model).__name__}')
        self.request = request = model.selection_request()
        missing = request.consumes - self.provides
        if missing:
            raise ValueError(f'{request.learner} trains with {sorted(request.consumes)} of '
                             f'each sample; {name} computes {sorted(self.provides)}: use '
                             f'{request.hook}')
        ignored = (self.provides & self.binding) - request.consumes
        if ignored:
            raise TypeError(f'{name} computes {sorted(ignored)} of each sample, which '
                            f'{request.learner} does not train with (it takes '
                            f'{sorted(request.consumes)}): use {request.hook}')
        record = model.sample_record
        if record is None:
            raise ValueError(f'{name} needs a per-sample record: add '
                             f"dict(type='SampleRecordHook', signals=dict({self.signal}=...)) "
                             'to custom_hooks')
        if self.signal not in record.history:
            raise ValueError(f'{name} reads {self.signal!r}, which the record does '
                             f'not keep (it records {list(record.signals)})')
        self.labels = record.info.labels
        self.is_noisy = record.info.is_noisy  # metrics only

    def before_train_epoch(self, runner):
        if self.request is None or runner.epoch < self.begin_epoch:
            return
        model = unwrap(runner.model)
        record = model.sample_record
        available = {n: len(record.recorded_epochs(n, self.signal)) for n in record.nets}
        if min(available.values()) == 0:
            runner.logger.warning(f'epoch {runner.epoch + 1}: no {self.signal!r} recorded yet, '
                                  f'no {self.method_name} selection')
            return
        for net, selection in self.select(runner, record, available).items():
            model.set_selection(net, selection)

    def select(self, runner, record, available):
        """This epoch's {network: Selection} from the record (``available``: epochs of the
        signal held per network); logs and adds to the history as it goes."""
        raise NotImplementedError

    def add_history(self, runner, entry):
        self.history = [h for h in self.history if h['epoch'] != entry['epoch']] + [entry]

    def _log(self, runner, net, source, quality):
        text = ', '.join(f'{k} n/a' if v is None else f'{k} {v}' if isinstance(v, int)
                         else f'{k} {v:.4f}' for k, v in quality.items())
        runner.logger.info(f'selection epoch {runner.epoch + 1} {net} ({self.method_name} of '
                           f'{source}): {text}')
        scalars = {f'selection/{net}/{k}': v for k, v in quality.items() if v is not None}
        if scalars:
            runner.visualizer.add_scalars(scalars, step=runner.epoch + 1)

    def summary(self):
        """The header of ``selection_quality.json``."""
        return {'signal': self.signal, 'threshold': self.threshold}

    def before_save_checkpoint(self, runner, checkpoint):
        checkpoint[CHECKPOINT_KEY] = json.dumps(self.history)

    def after_load_checkpoint(self, runner, checkpoint):
        if getattr(runner, '_resume', False) and CHECKPOINT_KEY in checkpoint:
            self.history = json.loads(checkpoint[CHECKPOINT_KEY])

    def after_train(self, runner):
        if is_main_process() and self.history:
            path = atomic_write(osp.join(runner.work_dir, 'selection_quality.json'), json.dumps(
                dict(self.summary(), epochs=self.history), indent=1).encode())
            runner.logger.info(f'selection quality per epoch written to {path}')
