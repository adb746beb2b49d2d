"""Clean-probability from a two-component Gaussian mixture on per-sample losses.

The small-loss recipe of DivideMix (Li et al. 2020) and RoLR (Chen et al. 2023), as in the
authors' code: each epoch's losses are min-max normalised over all samples; optionally the
last k epochs are averaged (RoLR and DivideMix at 90% noise: k = 5); a 1-D two-component
``GaussianMixture(max_iter=10, tol=1e-2, reg_covar=5e-4)`` is fitted and the posterior of the
component with the smaller mean is the probability that the label is clean.
"""
from dataclasses import dataclass

import numpy as np


class DegenerateInputError(ValueError):
    """Losses from which no clean/noisy split can be estimated."""


@dataclass
class GMMSplit:
    clean_prob: np.ndarray   # (N,) float32, posterior of the low-loss component
    inputs: np.ndarray       # (N,) the normalised (and averaged) losses the GMM saw
    means: np.ndarray        # (2,) component means, [clean, noisy]
    variances: np.ndarray    # (2,)
    weights: np.ndarray      # (2,) mixing weights


def normalise_losses(losses):
    """Min-max normalise each row of (K, N) (or a single (N,)) over the samples."""
    arr = np.asarray(losses, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2:
        raise DegenerateInputError(f'losses must be (N,) or (epochs, N), got {arr.shape}')
    bad = ~np.isfinite(arr)
    if bad.any():
        rows, cols = np.nonzero(bad)
        raise DegenerateInputError(
            f'{int(bad.sum())} losses are NaN or infinite (first: sample {int(cols[0])}, '
            f'epoch row {int(rows[0])}); a sample with no recorded loss or a diverged network '
            'cannot be split')
    if arr.shape[1] < 2:
        raise DegenerateInputError(f'a 2-component GMM needs at least 2 samples, got '
                                   f'{arr.shape[1]}')
    low, high = arr.min(axis=1, keepdims=True), arr.max(axis=1, keepdims=True)
    if np.any(high - low <= 0):
        raise DegenerateInputError('all losses are equal in an epoch: the clean/noisy split is '
                                   'undefined (is the network producing constant outputs?)')
    return (arr - low) / (high - low)


def gmm_clean_posterior(losses, max_iter=10, tol=1e-2, reg_covar=5e-4, random_state=0):
    """Fit the mixture and return a :class:`GMMSplit`.

    Args:
        losses: (N,) losses of one epoch, or (K, N) of the last K epochs (each row is
            normalised, then the rows are averaged).
        random_state: seeds the k-means initialisation so that a run (and its resume) is
            reproducible; the authors' code leaves it unseeded.
    """
    from sklearn.mixture import GaussianMixture
    x = normalise_losses(losses).mean(axis=0)
    gmm = GaussianMixture(n_components=2, max_iter=max_iter, tol=tol, reg_covar=reg_covar,
                          random_state=random_state)
    gmm.fit(x[:, None])
    means = gmm.means_.ravel()
    variances = gmm.covariances_.ravel()
    weights = gmm.weights_.ravel()
    order = np.argsort(means)
    means, variances, weights = means[order], variances[order], weights[order]
    # posterior of the low-mean component, computed in log space (same as predict_proba)
    log_p = (np.log(weights)[None] - 0.5 * np.log(2 * np.pi * variances)[None]
             - 0.5 * (x[:, None] - means[None]) ** 2 / variances[None])
    log_p -= log_p.max(axis=1, keepdims=True)
    p = np.exp(log_p)
    clean = (p[:, 0] / p.sum(axis=1)).astype(np.float32)
    return GMMSplit(clean_prob=clean, inputs=x, means=means, variances=variances,
                    weights=weights)
