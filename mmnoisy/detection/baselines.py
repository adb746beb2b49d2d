"""Detection baselines that read the same per-sample record as DynaCor.

Each returns ``(scores, flags)`` for the rows it is given: ``scores`` higher = more likely
mislabelled, ``flags`` True = predicted mislabelled.

- AUM (Pleiss et al. 2020): area under the margin, the mean over epochs of
  f_y - max_{c != y} f_c; flagged below the ``percentile``-th percentile of the AUM of threshold
  samples, samples known to be mislabelled. Pleiss et al. make them by relabelling N/(C+1)
  samples to an extra class; on a DynaCor run the corrupted copies (labels deliberately
  replaced by another class) play that role, so AUM reads the same run.
- Avg.Encoder (DynaCor's baseline): a 1-D two-component GMM on the mean logit difference.
- Small-loss GMM: the DivideMix recipe on the mean loss over epochs.
- Confident learning (Northcutt et al. 2021) through ``cleanlab.filter.find_label_issues``
  on the mean predicted probabilities over epochs.
- IAM (HMW): one minus HMW's Integrated Area Margin weight, split by a GMM.
"""
import numpy as np

from mmnoisy.selection.gmm import gmm_clean_posterior


def aum_detect(aum, threshold_aum, percentile=99.0):
    """Flag rows whose AUM is below the ``percentile``-th percentile of ``threshold_aum``."""
    aum = np.asarray(aum, np.float64)
    threshold_aum = np.asarray(threshold_aum, np.float64)
    if threshold_aum.size == 0:
        raise ValueError('AUM needs threshold samples (known mislabelled rows), got none')
    if not 0 <= percentile <= 100:
        raise ValueError(f'percentile must be in [0, 100], got {percentile}')
    threshold = np.percentile(threshold_aum, percentile)
    return -aum, aum < threshold


def gmm_detect(signal, higher_is_noisy=True, **gmm_args):
    """Two-component 1-D GMM on a per-row signal; flagged when the posterior of the noisy
    component is above 0.5. Returns the noisy posterior as the score."""
    signal = np.asarray(signal, np.float64)
    losses = signal if higher_is_noisy else -signal
    clean_prob = gmm_clean_posterior(losses[None], **gmm_args).clean_prob.astype(np.float64)
    noisy_prob = 1.0 - clean_prob
    return noisy_prob, noisy_prob > 0.5


def avg_encoder_detect(mean_margin, **gmm_args):
    """Avg.Encoder: GMM on the mean logit difference (low = noisy)."""
    return gmm_detect(mean_margin, higher_is_noisy=False, **gmm_args)


def small_loss_detect(mean_loss, **gmm_args):
    """Small-loss GMM on the mean cross-entropy (high = noisy)."""
    return gmm_detect(mean_loss, higher_is_noisy=True, **gmm_args)


def confident_learning_detect(labels, pred_probs, filter_by='prune_by_noise_rate'):
    """cleanlab's confident learning. The score is one minus the probability of the given
    label (cleanlab's self-confidence)."""
    try:
        from cleanlab.filter import find_label_issues
    except ImportError as e:  # pragma: no cover - cleanlab is a runtime requirement
        raise ImportError('confident learning needs cleanlab: pip install cleanlab') from e
    labels = np.asarray(labels, np.int64)
    probs = np.asarray(pred_probs, np.float64)
    if probs.ndim != 2 or len(probs) != len(labels):
        raise ValueError(f'pred_probs must be (N, C) for {len(labels)} labels, got '
                         f'{probs.shape}')
    probs = probs / probs.sum(axis=1, keepdims=True)
    flags = find_label_issues(labels, probs, filter_by=filter_by)
    return 1.0 - probs[np.arange(len(labels)), labels], np.asarray(flags, bool)


def iam_detect(iam_weights, **gmm_args):
    """HMW's IAM weight (high = clean) split by a GMM (score: the noisy posterior)."""
    return gmm_detect(iam_weights, higher_is_noisy=False, **gmm_args)


__all__ = ['aum_detect', 'gmm_detect', 'avg_encoder_detect', 'small_loss_detect',
           'confident_learning_detect', 'iam_detect']
