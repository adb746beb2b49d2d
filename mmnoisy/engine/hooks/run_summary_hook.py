"""``results.json``: what a training run measured, in a file that benchmarks and users read
instead of parsing the log."""
import json
import os.path as osp
import time

from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmnoisy.registry import HOOKS
from mmnoisy.utils.io import atomic_write

RESULTS_FILE = 'results.json'


def evaluator_last_k(cfg, default=10):
    """The k of the config's ``LastKAccuracy`` (the mean its log reports), else ``default``."""
    evaluators = cfg.get('val_evaluator') or cfg.get('test_evaluator')
    for evaluator in evaluators if isinstance(evaluators, (list, tuple)) else [evaluators]:
        if isinstance(evaluator, dict) and \
                str(evaluator.get('type', '')).split('.')[-1] == 'LastKAccuracy':
            return int(evaluator.get('last_k', default))
    return default


def summarise(history, k, train_seconds, val_seconds, epochs_timed):
    """The content of ``results.json`` from the per-epoch test accuracy ``history``
    ({0-based epoch: top-1}), the k of the mean, and the time spent training / validating
    over the ``epochs_timed`` epochs this process ran."""
    from mmnoisy.evaluation.metrics.last_k_accuracy import mean_of_last
    epochs = sorted(history)
    out = dict(accuracy={str(e + 1): history[e] for e in epochs}, last_k=k)
    if epochs:
        best = max(epochs, key=lambda e: (history[e], -e))  # the first epoch of the best
        out.update(last=history[epochs[-1]], last_epoch=epochs[-1] + 1, best=history[best],
                   best_epoch=best + 1, mean_last_k=mean_of_last(history, k))
    out.update(train_seconds=train_seconds, val_seconds=val_seconds, epochs_timed=epochs_timed,
               train_seconds_per_epoch=train_seconds / epochs_timed if epochs_timed else None)
    return out


@HOOKS.register_module()
class RunSummaryHook(Hook):
    """Writes ``WORK_DIR/results.json`` when training ends: top-1 test accuracy per epoch
    (1-based keys), the last, the best and its epoch, the mean of the last k (the config's
    ``LastKAccuracy``), and the wall-clock seconds of training (validation excluded) and of
    validation in this process (a resumed run times only the epochs it ran).
    ``NoisyRunner`` registers it; nothing to add to a config."""
    priority = 'VERY_LOW'

    def __init__(self):
        # a resumed run may validate before training starts (ResumeValHook)
        self._start, self._val, self._val_start, self._first_epoch = None, 0.0, None, 0

    def before_train(self, runner):
        self._start, self._first_epoch = time.perf_counter(), runner.epoch

    def before_val(self, runner):
        self._val_start = time.perf_counter()

    def after_val(self, runner):
        if self._val_start is not None:
            self._val += time.perf_counter() - self._val_start
            self._val_start = None

    def after_train(self, runner):
        from mmnoisy.evaluation.metrics.last_k_accuracy import HISTORY_KEY
        if not is_main_process() or self._start is None:
            return
        total = time.perf_counter() - self._start
        history = runner.message_hub.get_info(HISTORY_KEY) or {}
        out = summarise(history, evaluator_last_k(runner.cfg), total - self._val, self._val,
                        runner.epoch - self._first_epoch)
        atomic_write(osp.join(runner.work_dir, RESULTS_FILE),
                     json.dumps(out, indent=1).encode())


def read_results(work_dir):
    """The ``results.json`` of a finished run in ``work_dir``."""
    path = osp.join(work_dir, RESULTS_FILE)
    if not osp.exists(path):
        raise FileNotFoundError(f'{path} not found: the run in {work_dir} did not finish')
    with open(path) as f:
        return json.load(f)
