"""Top-1 accuracy per evaluation plus its mean over the last k epochs (the papers' protocol)."""
import numpy as np
from mmengine.logging import MessageHub
from mmpretrain.evaluation import Accuracy

from mmnoisy.registry import METRICS

HISTORY_KEY = 'mmnoisy/accuracy_history'


def mean_of_last(history: dict, k: int):
    """Mean of the values of the ``k`` largest epochs in ``{epoch: value}``."""
    if not history:
        return None
    epochs = sorted(history)[-k:]
    return float(np.mean([history[e] for e in epochs]))


@METRICS.register_module()
class LastKAccuracy(Accuracy):
    """mmpretrain's ``Accuracy`` that also reports ``top1_last{k}``.

    Each validation during training stores its top-1 accuracy under the epoch it followed,
    in the message hub's runtime info; that is saved with checkpoints, so the mean over the
    last ``k`` epochs survives ``--resume``. Outside training (``tools/test.py``) only the
    accuracy is reported.
    """

    def __init__(self, last_k=10, topk=(1, ), **kwargs):
        if int(last_k) < 1:
            raise ValueError(f'last_k must be >= 1, got {last_k}')
        if 1 not in tuple(topk if isinstance(topk, (tuple, list)) else (topk, )):
            raise ValueError('LastKAccuracy needs top-1 in topk')
        super().__init__(topk=topk, **kwargs)
        self.last_k = int(last_k)

    def compute_metrics(self, results):
        metrics = super().compute_metrics(results)
        hub = MessageHub.get_current_instance()
        epoch = hub.get_info('epoch')
        if epoch is None or 'top1' not in metrics:
            return metrics
        history = dict(hub.get_info(HISTORY_KEY) or {})
        history[int(epoch)] = float(metrics['top1'])
        hub.update_info(HISTORY_KEY, history, resumed=True)
        metrics[f'top1_last{self.last_k}'] = mean_of_last(history, self.last_k)
        return metrics
