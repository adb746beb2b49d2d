"""Collaborative Cross Learning (Fan & Li, AAAI 2025): the loss terms, Eq. 5-15.

Notation: for a batch of B samples, network m gives embeddings of the weak view f^w and of
the strong view f^s (L2-normalised here, so dot products are cosine similarities) and
predictions p^w, p^s; the peer network (1-m) gives f_peer^w and p_peer^w (no gradient). The
similarity matrix ``S = f_a f_b^T / T`` of anchors a against contrasts b gives, row by row,
the contrastive distribution q^{a->b} (a softmax over the batch).

Per-sample terms come back as (B,) tensors so that the learner can weight them by the
confidence w as Eq. 15 does; :func:`ccl_losses` assembles Eq. 15.
"""
import torch
import torch.nn.functional as F

from .co_training import refurbish, soft_cross_entropy, uniform_prior_penalty


def similarity(anchors, contrasts, temperature):
    """``S_ij = <a_i, b_j> / T`` of the L2-normalised rows."""
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    a = F.normalize(anchors, dim=1)
    b = F.normalize(contrasts, dim=1)
    return a @ b.t() / temperature


def acl_loss(sim):
    """Eq. 5, augmentation-wise contrastive learning: -log q^{s->w}_ii with S from strong
    anchors to weak contrasts; the positive of anchor i is the weak view of sample i."""
    return -torch.diagonal(F.log_softmax(sim, dim=1))


def mimicry_loss(sim):
    """Eq. 6 (view-wise) and Eq. 12 (model-wise) mimicry: KL(q^{a->b} || q^{b->a}) per
    anchor, where q^{a->b}_i = softmax(S_i,:) and q^{b->a}_i = softmax(S_:,i)."""
    log_p = F.log_softmax(sim, dim=1)
    log_q = F.log_softmax(sim.t(), dim=1)
    return (log_p.exp() * (log_p - log_q)).sum(dim=1)


def confident_pg_loss(logits_strong, probs_weak, threshold):
    """Eq. 7, predicted guidance with confident learning:
    -1[y_pred >= c] * y_pred * log p^s_{k}, where k = argmax p^w and y_pred = p^w_k (the
    weak view's prediction guides the strong view, as in Eq. 3; no gradient through p^w)."""
    conf, cls = probs_weak.detach().max(dim=1)
    mask = (conf >= threshold).to(logits_strong.dtype)
    logp = F.log_softmax(logits_strong, dim=1).gather(1, cls.view(-1, 1)).squeeze(1)
    return -mask * conf * logp


def cclrl_loss(sim, classes):
    """Eq. 9, collaborative contrastive learning on refurbished labels:
    -log( sum_{j: y'_j = y'_i} exp S_ij / sum_k exp S_ik ), S from this network's strong
    anchors to the peer's weak contrasts, ``classes`` the (B,) classes of y' (Eq. 10).
    Anchor i is always its own positive. With ``classes = arange(B)`` (every sample its own
    class) it is the vanilla contrastive loss of the "w/o refurbished labels" ablation."""
    positive = classes.view(-1, 1) == classes.view(1, -1)
    log_all = torch.logsumexp(sim, dim=1)
    log_pos = torch.logsumexp(sim.masked_fill(~positive, float('-inf')), dim=1)
    return log_all - log_pos


def ccl_losses(logits_weak, logits_strong, feat_weak, feat_strong, peer_probs_weak,
               peer_feat_weak, onehot, trust, temperature=0.5, threshold=0.95,
               weights=None, refurbished_labels=True):
    """The terms of Eq. 15 for network m, weighted and averaged over the batch.

    L = mean_i [ w_i CE(p^s_i, y_i) + (1 - w_i)/2 (L_CVL,i + L_CML,i) ] + L_div, with
    L_CVL = L_PG + L_ACL + L_VM (Eq. 8) and L_CML = CE(p^s, p_peer^w) + L_CCLRL + L_MM (Eq. 13).

    Args:
        weights (dict): multiplier per term (``ce, pg, acl, vm, cml_ce, cclrl, mm, div``),
            1 when missing; 0 switches a term off (the ablations of Table 7).
        refurbished_labels (bool): positives of L_CCLRL from the classes of y' (Eq. 10);
            False = only the sample itself (vanilla contrastive learning).

    Returns:
        dict of scalar tensors: each term's batch value (``loss_*``) and ``loss`` (Eq. 15).
    """
    weights = dict(weights or {})
    unknown = set(weights) - set(CCL_TERMS)
    if unknown:
        raise ValueError(f'unknown CCL loss terms {sorted(unknown)}; terms are {CCL_TERMS}')
    lw = {k: float(weights.get(k, 1.0)) for k in CCL_TERMS}
    w = trust.to(logits_strong.dtype)
    probs_weak = F.softmax(logits_weak, dim=1)
    sim_view = similarity(feat_strong, feat_weak, temperature)
    sim_model = similarity(feat_strong, peer_feat_weak.detach(), temperature)
    refurbished = refurbish(onehot, w, peer_probs_weak.detach())
    classes = refurbished.argmax(dim=1) if refurbished_labels else torch.arange(
        len(w), device=w.device)
    per_sample = dict(
        pg=confident_pg_loss(logits_strong, probs_weak, threshold),
        acl=acl_loss(sim_view),
        vm=mimicry_loss(sim_view),
        cml_ce=soft_cross_entropy(logits_strong, peer_probs_weak.detach()),
        cclrl=cclrl_loss(sim_model, classes),
        mm=mimicry_loss(sim_model),
    )
    ce = soft_cross_entropy(logits_strong, onehot)
    cross = sum(lw[k] * v for k, v in per_sample.items())
    div = uniform_prior_penalty(F.softmax(logits_strong, dim=1))
    total = (lw['ce'] * w * ce + (1 - w) / 2 * cross).mean() + lw['div'] * div
    out = {f'loss_{k}': ((1 - w) / 2 * v).mean().detach() for k, v in per_sample.items()}
    out.update(loss_ce=(w * ce).mean().detach(), loss_div=div.detach(), loss=total)
    return out


CCL_TERMS = ('ce', 'pg', 'acl', 'vm', 'cml_ce', 'cclrl', 'mm', 'div')
#: the two modules: cross-view learning (Eq. 8) and cross-model learning (Eq. 13)
CCL_GROUPS = dict(cvl=('pg', 'acl', 'vm'), cml=('cml_ce', 'cclrl', 'mm'))
