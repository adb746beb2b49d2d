"""Nearest neighbours in feature space for large N (SCAN's neighbour file, VRLVMix).

:func:`knn_cosine` computes the k most similar samples by cosine similarity in blocks of rows
with one matrix product each (torch, all cores), so memory stays at block x N and 50,000
512-d features take seconds rather than the half minute of a brute-force scikit-learn search.
"""
import numpy as np
import torch


def knn_cosine(features, k, block=4096, exclude_self=True):
    """Indices (N, k) of each row's k nearest rows by cosine similarity, nearest first.

    Args:
        features: (N, D) array or tensor.
        k (int): neighbours per row.
        block (int): rows per matrix product.
        exclude_self (bool): leave each row out of its own neighbours (SCAN's mining).
    """
    feats = torch.as_tensor(np.asarray(features), dtype=torch.float32)
    feats = torch.nn.functional.normalize(feats, dim=1)
    n = feats.shape[0]
    if not 1 <= k <= n - int(exclude_self):
        raise ValueError(f'k must be in [1, {n - int(exclude_self)}] for {n} samples, got {k}')
    out = torch.empty((n, k), dtype=torch.int64)
    for start in range(0, n, block):
        sim = feats[start:start + block] @ feats.t()
        if exclude_self:
            rows = torch.arange(sim.shape[0])
            sim[rows, rows + start] = float('-inf')
        out[start:start + block] = sim.topk(k, dim=1).indices
    return out.numpy()


def knn_euclidean(queries, reference, k, block=4096):
    """Indices (Q, k) into ``reference`` of each query's k nearest reference rows (Euclidean),
    nearest first: squared distances by one matrix product per block of queries (torch, all
    cores). VRLVMix's ENN and k-NN mixup call it for every class each epoch, where
    scikit-learn's brute-force search took most of the selection's time."""
    q = torch.as_tensor(np.asarray(queries), dtype=torch.float32)
    r = torch.as_tensor(np.asarray(reference), dtype=torch.float32)
    if not 1 <= k <= len(r):
        raise ValueError(f'k must be in [1, {len(r)}] for {len(r)} reference rows, got {k}')
    r_sq = (r * r).sum(dim=1)
    out = torch.empty((len(q), k), dtype=torch.int64)
    for start in range(0, len(q), block):
        qb = q[start:start + block]
        dist = r_sq[None, :] - 2 * qb @ r.t()      # + |q|^2, the same for every reference row
        out[start:start + block] = dist.topk(k, dim=1, largest=False).indices
    return out.numpy()
