"""The dissimilarity-invariance statistic of NegScale (paper Table 1 / Fig. 4): the mean
cosine similarity of same-class pairs, semantically related pairs (small pLCA,
0 < D <= eta_min) and unrelated pairs (large pLCA, D > eta_max) of a model's features.

All pairs of N samples are covered in O(N d + C^2 d): with s_c the sum of the normalised
features of class c, the similarities of all pairs (i in a, j in b) sum to s_a . s_b, so the
N x N similarity matrix is never formed.
"""
import numpy as np
import torch
import torch.nn.functional as F


def pair_similarity_stats(feats, labels, dist, eta_min=3, eta_max=5):
    """Mean cosine similarity per pair group.

    Args:
        feats (Tensor | ndarray): (N, d) features.
        labels (Tensor | ndarray): (N,) class of each sample (which labels -- clean or
            given -- is the caller's choice).
        dist (Tensor | ndarray): (C, C) pLCA matrix.

    Returns:
        dict: ``same_class``, ``small_plca``, ``large_plca`` (mean similarity, NaN for a
        group without pairs) and ``pairs`` (the number of unordered pairs of each group).
    """
    f = F.normalize(torch.as_tensor(np.asarray(feats), dtype=torch.float64), dim=1)
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    dist = torch.as_tensor(np.asarray(dist))
    if len(f) != len(labels):
        raise ValueError(f'{len(f)} feature rows but {len(labels)} labels')
    num_classes = dist.shape[0]
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f'labels must be in [0, {num_classes}) for a {num_classes}-class '
                         'pLCA matrix')
    sums = torch.zeros(num_classes, f.shape[1], dtype=torch.float64).index_add_(0, labels, f)
    counts = torch.bincount(labels, minlength=num_classes).double()
    total = sums @ sums.t()                      # sum of s_ij over i in a, j in b
    pairs = counts[:, None] * counts[None, :]    # ordered pairs (i, j), a != b
    eye = torch.eye(num_classes, dtype=torch.bool)
    # same class: drop the N self-pairs (s_ii = 1)
    total = torch.where(eye, total - counts, total)
    pairs = torch.where(eye, counts * (counts - 1), pairs)
    groups = {'same_class': eye, 'small_plca': (dist > 0) & (dist <= eta_min) & ~eye,
              'large_plca': (dist > eta_max) & ~eye}
    out = {'pairs': {}}
    for name, mask in groups.items():
        n = pairs[mask].sum()
        out[name] = float(total[mask].sum() / n) if n > 0 else float('nan')
        out['pairs'][name] = int(n.item()) // 2
    return out
