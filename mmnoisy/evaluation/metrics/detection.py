"""``NoisyLabelDetectionMetric``: detection quality for any detector, as an MMEngine metric."""
import numpy as np
from mmengine.evaluator import BaseMetric

from mmnoisy.detection.metrics import detection_metrics
from mmnoisy.registry import METRICS


@METRICS.register_module()
class NoisyLabelDetectionMetric(BaseMetric):
    """Precision, recall, F1 (mislabelled = positive), AUROC and the number flagged.

    Each processed sample (a dict or data sample) gives ``noisy_flag`` (bool, predicted
    mislabelled), ``is_noisy`` (truth) and optionally ``noisy_score`` (higher = more likely
    mislabelled; needed for AUROC). Samples whose truth is unknown (``is_noisy`` < 0) are
    left out. Values are in percent, as mmpretrain's accuracy.
    """
    default_prefix = 'detection'

    def process(self, data_batch, data_samples):
        for s in data_samples:
            get = s.get if isinstance(s, dict) else (lambda k, d=None, s=s: getattr(s, k, d))
            truth = int(get('is_noisy', -1))
            if truth < 0:
                continue
            score = get('noisy_score', None)
            self.results.append((bool(get('noisy_flag')), truth,
                                 np.nan if score is None else float(score)))

    def compute_metrics(self, results):
        if not results:
            raise ValueError('NoisyLabelDetectionMetric: no sample with a known is_noisy')
        flags, truth, scores = (np.array(c) for c in zip(*results))
        m = detection_metrics(flags, truth, None if np.isnan(scores).any() else scores)
        out = {k: (v * 100 if k in ('precision', 'recall', 'f1', 'auroc') else v)
               for k, v in m.items() if v is not None}
        return out
