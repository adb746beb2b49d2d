"""Detection quality with "mislabelled" as the positive class (the papers' protocol)."""
import numpy as np


def detection_metrics(flags, is_noisy, scores=None):
    """Precision, recall and F1 of ``flags`` (True = predicted mislabelled) against
    ``is_noisy``, AUROC of ``scores`` (higher = more likely mislabelled), and counts.

    Undefined values (nothing flagged: precision; no mislabelled sample: recall; a single
    class: AUROC) are None, never a division by zero. F1 is 0 when precision and recall are
    both 0 and None when either is undefined.
    """
    flags = np.asarray(flags, bool)
    truth = np.asarray(is_noisy).astype(bool)
    if flags.shape != truth.shape:
        raise ValueError(f'{flags.size} flags for {truth.size} ground-truth entries')
    tp = int(np.sum(flags & truth))
    n_flag, n_noisy = int(flags.sum()), int(truth.sum())
    precision = tp / n_flag if n_flag else None
    recall = tp / n_noisy if n_noisy else None
    if precision is None or recall is None:
        f1 = None
    else:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    auroc = None
    if scores is not None:
        scores = np.asarray(scores, np.float64)
        if scores.shape != truth.shape:
            raise ValueError(f'{scores.size} scores for {truth.size} ground-truth entries')
        if 0 < n_noisy < truth.size:
            from sklearn.metrics import roc_auc_score
            auroc = float(roc_auc_score(truth, scores))
    return dict(precision=precision, recall=recall, f1=f1, auroc=auroc, num_flagged=n_flag,
                num_noisy=n_noisy, num_samples=int(truth.size))


def describe_flags(flags):
    """A warning when nothing or everything is flagged, else None."""
    flags = np.asarray(flags, bool)
    if flags.size and not flags.any():
        return 'no sample was flagged'
    if flags.size and flags.all():
        return 'every sample was flagged'
    return None
