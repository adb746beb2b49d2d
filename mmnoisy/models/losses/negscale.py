"""NegScale (Fan & Li, AAAI 2026): SNOP and DCSA on the features of a batch, Eq. 2-9.

Everything is computed on the (B, B) Gram matrix of the l2-normalised features, never per
pair in Python and never as a |P_neg| x d matrix of difference vectors:

* pairs: unordered (i < j) pairs of the batch, selected by the pLCA distance of their
  (noisy) labels (``plca_pairs``) or, for the "random selection" ablation, drawn at random
  (``random_negative_pairs``);
* Eq. 3: with u_p = (f_i - f_j) / ||f_i - f_j|| the rows of F_neg,
  F^T F = f^T L f, L the Laplacian of the pair graph weighted 1 / ||f_i - f_j||^2, so
  ||F F^T - I||_F^2 = ||F^T F||_F^2 - 2 tr(F^T F) + P = tr((L G)^2) - 2 tr(L G) + P with
  G = f f^T: O(B^2 d + B^3) whatever the number of pairs P;
* Eq. 4-5: sum over negative pairs of (1 - c_i)(1 - c_j)(f_i^T f_j)^2, c the softmax
  probability of the predicted class (no gradient through the weights);
* Eq. 7: delta_ij = (e_i + e_j) / 2 with e_i = max over i's negative partners p of
  f_i^T f_p (the strongest entanglement of each sample of the pair with an unrelated sample;
  0 for a sample without one) -- see the README for this reading of Eq. 7;
* Eq. 8: sum over related pairs of max(0, s_ij - (1 - delta_ij))^2.

Normalisation (left open by the paper): ``reduction='mean'`` (default) divides Eq. 3 by P^2
(the number of entries of F F^T), Eq. 4 by P and Eq. 8 by the number of related pairs, so
the terms do not grow with the batch size; ``'sum'`` is the paper's formulas as written. A
batch without negative (related) pairs gives SNOP (DCSA) = 0, with a graph, never NaN.
"""
import functools

import torch
import torch.nn.functional as F

REDUCTIONS = ('mean', 'sum')
_EPS = 1e-8


def _check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f'reduction must be one of {REDUCTIONS}, got {reduction!r}')


def plca_pairs(labels, dist, eta_min, eta_max):
    """Masks (B, B), upper triangle only, of P_sim = {0 < D <= eta_min} and
    P_neg = {D > eta_max} for the batch's labels; ``dist`` the (C, C) pLCA matrix."""
    if eta_min > eta_max:
        raise ValueError(f'eta_min ({eta_min}) must be <= eta_max ({eta_max})')
    d = dist[labels][:, labels]
    upper = torch.ones_like(d, dtype=torch.bool).triu(1)
    related = (d > 0) & (d <= eta_min) & upper
    negative = (d > eta_max) & upper
    return related, negative


def random_negative_pairs(labels, num, generator=None):
    """The "random selection" ablation (Table 7): ``num`` pairs of differently-labelled
    samples drawn uniformly, ignoring the taxonomy (upper-triangle mask)."""
    b = len(labels)
    cand = (labels[:, None] != labels[None, :]) & torch.ones(
        b, b, dtype=torch.bool, device=labels.device).triu(1)
    num = int(min(int(num), int(cand.sum())))
    out = torch.zeros_like(cand)
    if num == 0:
        return out
    scores = torch.rand(b, b, generator=generator, device='cpu').to(labels.device)
    scores = scores.masked_fill(~cand, -1.0).flatten()
    out.view(-1)[scores.topk(num).indices] = True
    return out


def _float32(fn):
    """Run ``fn`` (feats first) in float32 with autocast off: under AMP (float16) the Gram
    matrix of near-identical features, its 1 / ||f_i - f_j||^2 weights (up to 1 / eps) and
    their products overflow, and the loss became NaN."""
    @functools.wraps(fn)
    def run(feats, *args, **kwargs):
        with torch.autocast(feats.device.type, enabled=False):
            return fn(feats, *args, **kwargs)
    return run


def _zero(feats):
    return feats.sum() * 0.0


def _unit(feats):
    # fp16/bf16 features (AMP) are normalised in float32
    return F.normalize(feats.float() if feats.dtype in (torch.float16, torch.bfloat16)
                       else feats, dim=1)


def _gram(feats):
    f = _unit(feats)
    return f @ f.t()


@_float32
def snop_loss(feats, negative, confidence, reduction='mean'):
    """Eq. 6 = Eq. 3 (global) + Eq. 4 (local). Returns (global, local).

    Args:
        feats (Tensor): (B, d) features (normalised here).
        negative (Tensor): (B, B) bool mask of negative pairs (upper triangle).
        confidence (Tensor): (B,) c_i of Eq. 5 (treated as constants).
    """
    _check_reduction(reduction)
    if not negative.any():
        z = _zero(feats)
        return z, z
    return _snop(_gram(feats), negative, confidence, reduction)


def _snop(gram, negative, confidence, reduction):
    """``snop_loss`` on the Gram matrix of the normalised features."""
    num = int(negative.sum())
    if num == 0:
        z = _zero(gram)
        return z, z
    neg = (negative | negative.t()).to(gram.dtype)
    # ||f_i - f_j||^2 = 2 - 2 f_i.f_j for unit vectors; clamped for identical features
    inv_sq = neg / (2 - 2 * gram).clamp_min(_EPS)
    lap = torch.diag(inv_sq.sum(1)) - inv_sq
    k = lap @ gram
    glob = ((k * k.t()).sum() - 2 * k.diagonal().sum() + num).clamp_min(0)
    c = confidence.detach().to(gram.dtype)
    w = (1 - c)[:, None] * (1 - c)[None, :]
    local = (w * gram.pow(2) * negative.to(gram.dtype)).sum()
    if reduction == 'mean':
        glob, local = glob / num**2, local / num
    return glob, local


@_float32
def dcsa_loss(feats, related, negative, reduction='mean', detach_bound=True):
    """Eq. 8 with delta of Eq. 7 (see the module docstring). ``detach_bound``: the bound
    1 - delta is a constant of the step (DCSA moves related pairs only; SNOP moves the
    negative ones)."""
    _check_reduction(reduction)
    if not related.any():
        return _zero(feats)
    return _dcsa(_gram(feats), related, negative, reduction, detach_bound)


def _dcsa(sim, related, negative, reduction, detach_bound):
    """``dcsa_loss`` on the cosine similarities (the Gram matrix of normalised features)."""
    num = int(related.sum())
    if num == 0:
        return _zero(sim)
    neg = negative | negative.t()
    anchored = sim.masked_fill(~neg, float('-inf')).amax(1)
    entangle = torch.where(neg.any(1), anchored, torch.zeros_like(anchored))
    delta = (entangle[:, None] + entangle[None, :]) / 2
    if detach_bound:
        delta = delta.detach()
    hinge = F.relu(sim - (1 - delta)).pow(2) * related.to(sim.dtype)
    total = hinge.sum()
    return total / num if reduction == 'mean' else total


@_float32
def negscale_loss(feats, logits, labels, dist, eta_min=3, eta_max=5, lambda_snop=1.0,
                  mu_dcsa=1.0, reduction='mean', selection='plca', detach_bound=True,
                  generator=None):
    """lambda * L_SNOP + mu * L_DCSA of Eq. 9 (L_org is the base method's loss).

    Returns a dict: ``loss`` (the weighted sum), ``snop``, ``snop_global``, ``snop_local``,
    ``dcsa``, ``num_neg``, ``num_sim`` (pair counts of the batch).
    """
    if selection not in ('plca', 'random'):
        raise ValueError(f"selection must be 'plca' or 'random', got {selection!r}")
    related, negative = plca_pairs(labels, dist, eta_min, eta_max)
    if selection == 'random':
        negative = random_negative_pairs(labels, int(negative.sum()), generator)
    with torch.no_grad():
        confidence = logits.detach().float().softmax(1).amax(1)
    _check_reduction(reduction)
    gram = _gram(feats)  # one Gram matrix serves both terms
    glob, local = _snop(gram, negative, confidence, reduction)
    snop = glob + local
    dcsa = _dcsa(gram, related, negative, reduction, detach_bound)
    loss = lambda_snop * snop + mu_dcsa * dcsa
    return dict(loss=loss, snop=snop, snop_global=glob, snop_local=local, dcsa=dcsa,
                num_neg=feats.new_tensor(float(negative.sum())),
                num_sim=feats.new_tensor(float(related.sum())))
