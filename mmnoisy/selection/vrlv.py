"""VRLVMix's partition by the Variance Ranking of Loss Variation (VRLV), Eq. 3-6.

Pure functions on the per-sample record (losses and predictions of past epochs):

* :func:`loss_change_ranks`: S^t, the rank of each sample's loss change l_{t-1} - l_t among all
  samples (Eq. 3's argsort), **normalised to [0, 1]** by N - 1 so that the variances and the
  thresholds gamma do not depend on the dataset size (the paper uses raw ranks);
* :func:`rank_variance`: var_i of Eq. 3 over the last tau epochs (population variance, 1/tau);
* :func:`vrlv_sets`: V_l = {var < gamma_1}, V_h = {var > gamma_2}, V_c = the ``clean_ratio``
  fraction with the smallest variance (Eq. 4). ``clean_ratio`` is r = |G_l| / N of Algorithm 1
  (the GMM's labelled share); when gamma_1 / gamma_2 are not given they are derived from it:
  gamma_1 = the r-quantile of var (V_l is then the r most stable samples, as V_c up to ties) and
  gamma_2 = the (1 - (1 - r) / 2)-quantile (V_h is the most fluctuating half of the estimated
  noisy share) -- our choice, the paper gives no values;
* :func:`lr_change_epoch`: the epoch t* at which the learning rate changed, seen at t* + tau;
* :func:`prediction_changed`: beta of Eq. 5, argmax at one epoch != argmax at another;
* :func:`clean_set`: D_c of Eq. 6 for both cases;
* :func:`vrlv_partition`: one epoch of Algorithm 1 for both networks, and :func:`vrlv_tables`:
  from it (or from the GMM split alone) the tables each network trains with.

Every step is a handful of vectorised array operations: one sort per epoch of history, and
selections by partition, not by sorting.
"""
import numpy as np

from .neighbours import knn_euclidean
from .ranking import rank_within_class


def loss_change_ranks(prev_loss, loss):
    """S^t in [0, 1]: the position of each sample when the loss changes l_{t-1} - l_t are
    sorted ascending, divided by N - 1 (float32; exact ties, rare for float losses, are
    ordered by the sort)."""
    delta = np.asarray(prev_loss, np.float32) - np.asarray(loss, np.float32)
    n = delta.size
    ranks = np.empty(n, np.float32)
    ranks[np.argsort(delta)] = np.arange(n, dtype=np.float32) / max(n - 1, 1)
    return ranks


def rank_variance(ranks):
    """Eq. 3: var_i = 1/tau sum_t (S_i^t - mean_t S_i^t)^2 over the rows of ``ranks`` (tau, N)."""
    ranks = np.asarray(ranks, np.float32)
    if ranks.ndim != 2 or ranks.shape[0] < 2:
        raise ValueError(f'rank variance needs ranks of at least 2 epochs, (tau, N); got shape '
                         f'{ranks.shape}')
    return ranks.var(axis=0)


def vrlv_variance(losses, tau):
    """var of Eq. 3 from a loss history (epochs, N), oldest first: the ranks of the last tau
    changes (tau + 1 epochs of losses)."""
    losses = np.asarray(losses)
    if tau < 2:
        raise ValueError(f'tau must be >= 2, got {tau}')
    if losses.ndim != 2 or losses.shape[0] < tau + 1:
        raise ValueError(f'tau = {tau} loss changes need {tau + 1} recorded epochs of losses, '
                         f'the history has {losses.shape[0] if losses.ndim == 2 else 0}')
    return rank_variance(loss_change_rank_rows(losses[-(tau + 1):]))


def loss_change_rank_rows(losses):
    """S^t for every consecutive pair of rows of a loss history (T, N): (T - 1, N)."""
    return np.stack([loss_change_ranks(losses[t - 1], losses[t]) for t in range(1, len(losses))])


def vrlv_sets(var, clean_ratio, gamma_1=None, gamma_2=None):
    """Eq. 4: dict(V_l, V_h, V_c (bool masks), gamma_1, gamma_2)."""
    var = np.asarray(var, np.float32)
    if not 0 <= clean_ratio <= 1:
        raise ValueError(f'clean_ratio must be in [0, 1], got {clean_ratio}')
    if gamma_1 is None:
        gamma_1 = float(np.quantile(var, clean_ratio)) if var.size else 0.0
    if gamma_2 is None:
        gamma_2 = float(np.quantile(var, 1 - (1 - clean_ratio) / 2)) if var.size else 0.0
    if gamma_1 > gamma_2:
        raise ValueError(f'gamma_1 ({gamma_1}) must not exceed gamma_2 ({gamma_2})')
    v_c = np.zeros(var.size, bool)
    k = int(round(clean_ratio * var.size))
    if 0 < k < var.size:
        v_c[np.argpartition(var, k - 1)[:k]] = True   # the k smallest, no full sort
    elif k == var.size:
        v_c[:] = True
    return dict(V_l=var < gamma_1, V_h=var > gamma_2, V_c=v_c, gamma_1=float(gamma_1),
                gamma_2=float(gamma_2))


def lr_change_epoch(lrs, epoch, tau, factor=None):
    """t* when the learning rate of epoch t* differs from that of epoch t* - 1 and
    t* = ``epoch`` - tau (the network has had tau epochs to settle), else None. ``factor``:
    count only changes by at least this factor either way (a step of a step schedule, not
    the small per-epoch changes of a cosine one); None = any change.
    ``lrs[e]`` is the learning rate used in epoch e (0-based): a sequence, or a mapping
    that may lack epochs (no change is seen where either epoch is missing)."""
    if not isinstance(lrs, dict):
        lrs = dict(enumerate(lrs))
    t = epoch - tau
    if t < 1 or t not in lrs or t - 1 not in lrs:
        return None
    a, b = float(lrs[t - 1]), float(lrs[t])
    if factor is None:
        return t if not np.isclose(a, b, rtol=1e-9, atol=0) else None
    if a <= 0 or b <= 0:
        return t if a != b else None
    return t if max(a / b, b / a) >= factor * (1 - 1e-9) else None


def prediction_changed(pred_a, pred_b):
    """beta of Eq. 5: the predicted class differs between the two epochs."""
    return np.asarray(pred_a) != np.asarray(pred_b)


def clean_set(sets, labelled, beta, lr_changed):
    """D_c of Eq. 6 as a bool mask: with a constant learning rate V_c & G_l & (beta = 0);
    after a change (V_l & G_l | V_h) & (beta = 1). ``labelled`` is the GMM's G_l."""
    labelled = np.asarray(labelled, bool)
    beta = np.asarray(beta, bool)
    if lr_changed:
        return ((sets['V_l'] & labelled) | sets['V_h']) & beta
    return sets['V_c'] & labelled & ~beta


# --------------------------------------------------------------- balancing (Sec. IV-B, Alg. 1)
def class_quota(num_samples, clean_ratio, num_classes):
    """R = N r / C of Algorithm 1 (rounded down): labelled samples wanted per class."""
    return int(num_samples * clean_ratio / num_classes)


def small_loss_fill(labels, clean, candidates, losses, quota, num_classes):
    """The learning-rate-change branch of Algorithm 1 (lines 15-17): in each class, the
    quota - |D_c^k| candidates with the smallest loss (all of them when there are fewer; no
    supplement). Returns the bool mask of D_balance."""
    labels = np.asarray(labels)
    clean, candidates = np.asarray(clean, bool), np.asarray(candidates, bool) & ~np.asarray(
        clean, bool)
    need = np.maximum(quota - np.bincount(labels[clean], minlength=num_classes), 0)
    idx = np.flatnonzero(candidates)
    rank = rank_within_class(labels[idx], np.asarray(losses)[idx])
    out = np.zeros(len(labels), bool)
    out[idx[rank < need[labels[idx]]]] = True
    return out


def enn_keep(features, labels, candidates, reference, k=3):
    """Edited Nearest Neighbours (Wilson 1972) against a reference set: a candidate is kept when
    more than half of its k nearest reference samples (Euclidean, in feature space) carry its
    label. Returns a bool mask over ``candidates`` (indices)."""
    candidates, reference = np.asarray(candidates), np.asarray(reference)
    if len(candidates) == 0:
        return np.zeros(0, bool)
    if len(reference) == 0:
        return np.ones(len(candidates), bool)  # nothing to compare with: keep
    labels = np.asarray(labels)
    k = min(int(k), len(reference))
    nbrs = knn_euclidean(features[candidates], features[reference], k)
    agree = (labels[reference][nbrs] == labels[candidates][:, None]).sum(axis=1)
    return agree * 2 > k


def knn_mixup_pairs(features, anchors, pool, needed, k=5):
    """Oversampling pairs for a short class: each anchor's k nearest samples of the pool
    (Euclidean, in feature space), nearest first, taken round-robin over the anchors until
    ``needed`` pairs; (anchor, pool sample) index pairs, to be mixed up with the anchor's label.
    Fewer pairs when the anchors and pool cannot give that many. Only the anchors and
    neighbour ranks the round-robin reaches are searched."""
    anchors, pool = np.asarray(anchors), np.asarray(pool)
    if needed <= 0 or len(anchors) == 0 or len(pool) == 0:
        return np.zeros((0, 2), np.int64)
    anchors, k = _reached(anchors, needed, k, len(pool))
    return _round_robin(anchors, pool, knn_euclidean(features[anchors], features[pool], k),
                        needed)


def _reached(anchors, needed, k, pool_size):
    """The anchors and the number of neighbour ranks a round-robin of ``needed`` pairs uses."""
    return anchors[:needed], min(int(k), pool_size, -(-int(needed) // len(anchors)))


def _round_robin(anchors, pool, nbrs, needed):
    """(anchor, pool sample) pairs: every anchor's nearest pool sample first, then every
    anchor's second nearest, ..., the first ``needed``."""
    pairs = np.stack([np.repeat(anchors[None], nbrs.shape[1], 0), pool[nbrs.T]],
                     axis=-1).reshape(-1, 2)
    return pairs[:needed]


def balance(labels, clean, candidates, features, losses, quota, num_classes, pool, k_enn=3,
            k_mix=5):
    """The constant-learning-rate branch of Algorithm 1 (lines 21-29), class by class: with
    R_c^k = quota - |D_c^k| places to fill, an over-full candidate set P^k is cleaned by ENN
    against D_c (feature-space neighbours) and its R_c^k smallest-loss survivors are taken; a
    short one is taken whole and the rest is filled by mixup pairs of D_c^k samples with their
    nearest neighbours in ``pool`` (the GMM-unlabelled set G_u). A class without any sample in
    D_c uses its candidates as the anchors of the pairs (or gets none).

    Returns (D_balance mask, mixup pairs (M, 2) of (anchor, pool sample), their labels (M,)).
    """
    labels = np.asarray(labels)
    clean = np.asarray(clean, bool)
    candidates = np.asarray(candidates, bool) & ~clean
    features, losses = np.asarray(features), np.asarray(losses)
    pool = np.flatnonzero(np.asarray(pool, bool) & ~clean)
    reference = np.flatnonzero(clean)
    have = np.bincount(labels[clean], minlength=num_classes)[:num_classes]
    need_all = quota - have
    offer = np.bincount(labels[candidates], minlength=num_classes)[:num_classes]
    # ENN for the candidates of every over-full class in one neighbour search against D_c
    full = np.flatnonzero(candidates & ((offer > need_all) & (need_all > 0))[labels])
    enn = np.zeros(len(labels), bool)
    enn[full] = enn_keep(features, labels, full, reference, k_enn)
    chosen = np.zeros(len(labels), bool)
    short = []   # (class, anchors reached, ranks reached, pairs wanted)
    for c in range(num_classes):
        need = int(need_all[c])
        if need <= 0:
            continue
        cand = np.flatnonzero(candidates & (labels == c))
        if len(cand) > need:
            kept = cand[enn[cand]]
            if len(kept) < need:  # cleaning removed too many: refill with the smallest losses
                rest = np.setdiff1d(cand, kept)
                kept = np.concatenate([kept, rest[np.argsort(losses[rest], kind='stable')]
                                       [:need - len(kept)]])
            chosen[kept[np.argsort(losses[kept], kind='stable')[:need]]] = True
        else:
            chosen[cand] = True
            anchors = np.flatnonzero(clean & (labels == c))
            if len(anchors) == 0:
                anchors = cand
            if need > len(cand) and len(anchors) and len(pool):
                short.append((c, *_reached(anchors, need - len(cand), k_mix, len(pool)),
                              need - len(cand)))
    pairs, pair_labels = [np.zeros((0, 2), np.int64)], [np.zeros(0, np.int64)]
    if short:  # the mixup pairs of every short class from one neighbour search in the pool
        queries = np.concatenate([a for _, a, _, _ in short])
        nbrs = knn_euclidean(features[queries], features[pool], max(k for _, _, k, _ in short))
        start = 0
        for c, anchors, k, wanted in short:
            p = _round_robin(anchors, pool, nbrs[start:start + len(anchors), :k], wanted)
            start += len(anchors)
            pairs.append(p)
            pair_labels.append(np.full(len(p), c, np.int64))
    return chosen, np.concatenate(pairs), np.concatenate(pair_labels)


def balance_weights(labels, labelled, pair_labels, num_classes):
    """Eq. 10's factor |D_x| / (|D_x^c| C) for every class c: (C,) float32, 0 for a class
    without labelled samples. D_x is the labelled set ``labelled`` (given labels ``labels``)
    plus the mixup pairs (labels ``pair_labels``); a class holding 1/C of D_x gets 1."""
    counts = np.bincount(np.asarray(labels)[np.asarray(labelled, bool)],
                         minlength=num_classes)[:num_classes]
    counts = counts + np.bincount(np.asarray(pair_labels, np.int64),
                                  minlength=num_classes)[:num_classes]
    total = counts.sum()
    out = np.zeros(num_classes, np.float32)
    nz = counts > 0
    out[nz] = total / (counts[nz] * num_classes)
    return out


def vrlv_partition(labels, gmm_labelled, var, beta, losses, features, num_classes, lr_changed,
                   gamma_1=None, gamma_2=None, balancing=True, k_enn=3, k_mix=5):
    """One epoch of VRLVMix's selection (Sec. IV-A/B, Algorithm 1 lines 8-31) for the two
    networks: A (``net1``) splits by the GMM of its losses, B (``net2``) by the variance of
    its loss-change ranks.

    Args:
        labels: (N,) given labels.
        gmm_labelled: (N,) bool, G_l of network A's GMM; r = |G_l| / N.
        var: (N,) Eq. 3's variance from network B's losses.
        beta: (N,) bool, Eq. 5 for network B's predictions (the two epochs compared depend
            on ``lr_changed``, chosen by the caller).
        losses: (N,) network A's latest losses (the small-loss order within a class).
        features: (N, D) feature vectors for ENN and the k-NN of the mixup pairs.
        lr_changed (bool): use the learning-rate-change branch of Eq. 6 / Algorithm 1.
        balancing (bool): False = Table IV's "w/o balancing": D_x = D_c plus the whole
            supplementary set P, no ENN, no mixup pairs.

    Returns dict: ``sets`` (Eq. 4 masks and gammas), ``clean`` (D_c), ``ratio`` (r),
    ``quota`` (R) and per network (``net1``, ``net2``) a dict of ``labelled`` (D_c plus the
    selected part of D_balance), ``pairs`` ((M, 2): anchor in D_c, neighbour in the pool) and
    ``pair_labels`` (M,). Network B's D_balance comes from A's split (Eq. 8: G_l \\ D_c,
    pairs from G_u); A's from B's (Eq. 9: V_c \\ D_c, pairs from outside V_c).
    """
    labels = np.asarray(labels)
    g_l = np.asarray(gmm_labelled, bool)
    n = len(labels)
    if not (len(g_l) == len(var) == len(beta) == len(losses) == n):
        raise ValueError('labels, gmm_labelled, var, beta and losses must have one value per '
                         f'sample; got {n}, {len(g_l)}, {len(var)}, {len(beta)}, {len(losses)}')
    ratio = float(g_l.mean()) if n else 0.0
    sets = vrlv_sets(var, ratio, gamma_1, gamma_2)
    clean = clean_set(sets, g_l, beta, lr_changed)
    quota = class_quota(n, ratio, num_classes)
    empty = np.zeros((0, 2), np.int64), np.zeros(0, np.int64)
    out = dict(sets=sets, clean=clean, ratio=ratio, quota=quota)
    sources = {'net1': (sets['V_c'], ~sets['V_c']), 'net2': (g_l, ~g_l)}
    for net, (cand, pool) in sources.items():
        if lr_changed:   # Alg. 1 lines 15-17: smallest losses of G_l per class, no pairs
            extra = small_loss_fill(labels, clean, g_l, losses, quota, num_classes) \
                if balancing else g_l & ~clean
            pairs, pair_labels = empty
        elif balancing:  # lines 21-29
            extra, pairs, pair_labels = balance(labels, clean, cand, features, losses, quota,
                                                num_classes, pool, k_enn, k_mix)
        else:
            extra, (pairs, pair_labels) = cand & ~clean, empty
        out[net] = dict(labelled=clean | extra, pairs=pairs, pair_labels=pair_labels)
    return out


def gmm_balanced(labels, trust, p_threshold, losses, features, num_classes, balancing=True,
                 k_enn=3, k_mix=5):
    """Table IV's "w/o VRLV" for each network: D_c = its peer's GMM split (``trust[net]``
    > ``p_threshold``), short classes filled with mixup pairs from the unlabelled rest (no
    supplementary set to clean). Returns {net: dict(labelled, pairs, pair_labels)}."""
    out = {}
    for net, w in trust.items():
        clean = w > p_threshold
        quota = class_quota(len(labels), float(clean.mean()), num_classes)
        if balancing:
            extra, pairs, plabels = balance(labels, clean, np.zeros_like(clean), features,
                                            losses, quota, num_classes, ~clean, k_enn, k_mix)
        else:
            extra, pairs, plabels = clean, np.zeros((0, 2), np.int64), np.zeros(0, np.int64)
        out[net] = dict(labelled=clean | extra, pairs=pairs, pair_labels=plabels)
    return out


def pair_table(pairs, pair_labels, num_samples):
    """One mixup pair per pool sample, the first (nearest) of its pairs: (anchor of each
    sample, -1 where it is no pool side; (N,) int64, the anchor's class; (N,) int64)."""
    partner = np.full(num_samples, -1, np.int64)
    plabel = np.zeros(num_samples, np.int64)
    if len(pairs):
        pool, first = np.unique(pairs[:, 1], return_index=True)
        partner[pool] = pairs[first, 0]
        plabel[pool] = pair_labels[first]
    return partner, plabel


def scan_table(pred, neighbours):
    """SCAN's neighbours of every sample that share its predicted class (ScanMix), -1
    elsewhere: (N, k) int32."""
    pred = np.asarray(pred).astype(np.int64)
    return np.where(pred[neighbours] == pred[:, None], neighbours, -1).astype(np.int32)


def vrlv_tables(labels, clean_prob, p_threshold, num_classes, *, mode='vrlv', var=None,
                beta=None, lr_changed=False, losses=None, features=None, balancing=True,
                class_balance=True, gamma_1=None, gamma_2=None, k_enn=3, k_mix=5):
    """Everything the two networks of VRLVMix train with for one epoch.

    Args:
        labels: (N,) given labels.
        clean_prob: {'net1': A's GMM clean probability, 'net2': B's}; each network's label
            refinement uses its peer's (co-divide), and G_l is A's > ``p_threshold``.
        mode: 'vrlv' (:func:`vrlv_partition` on ``var``, ``beta``, ``lr_changed``),
            'gmm_balanced' (Table IV's "w/o VRLV", :func:`gmm_balanced`) or 'co_divide'
            (DivideMix's split, while the record is too short for the variance).
        losses, features: network A's latest losses and the balancing features.
        balancing, class_balance, gamma_1, gamma_2, k_enn, k_mix: as the learner / hook.

    Returns dict: ``ratio`` (r = |G_l| / N), ``partition`` (:func:`vrlv_partition`'s output in
    mode 'vrlv', else None) and per network a dict of ``trust`` (float32), ``labelled``
    (bool, D_x), ``pairs`` / ``pair_labels`` (:func:`pair_table`) and ``class_weights``
    (Eq. 10, or None).
    """
    if mode not in ('vrlv', 'gmm_balanced', 'co_divide'):
        raise ValueError(f"mode must be 'vrlv', 'gmm_balanced' or 'co_divide', got {mode!r}")
    labels = np.asarray(labels)
    nets = ('net1', 'net2')
    trust = {net: np.asarray(clean_prob[nets[1 - i]], np.float32) for i, net in enumerate(nets)}
    g_l = np.asarray(clean_prob['net1']) > p_threshold
    empty = np.zeros((0, 2), np.int64), np.zeros(0, np.int64)
    partition = None
    if mode == 'co_divide':
        out = {net: dict(labelled=trust[net] > p_threshold, pairs=empty[0],
                         pair_labels=empty[1]) for net in nets}
    elif mode == 'vrlv':
        partition = vrlv_partition(labels, g_l, var, beta, losses, features, num_classes,
                                   lr_changed, gamma_1, gamma_2, balancing, k_enn, k_mix)
        out = {net: partition[net] for net in nets}
    else:
        out = gmm_balanced(labels, trust, p_threshold, losses, features, num_classes,
                           balancing, k_enn, k_mix)
    tables = dict(ratio=float(g_l.mean()), partition=partition)
    for net in nets:
        o = out[net]
        labelled = np.asarray(o['labelled'], bool)
        partner, plabel = pair_table(o['pairs'], o['pair_labels'], len(labels))
        weights = balance_weights(labels, o['labelled'], o['pair_labels'], num_classes) \
            if class_balance and mode != 'co_divide' else None
        tables[net] = dict(trust=trust[net], labelled=labelled, pairs=partner,
                           pair_labels=plabel, class_weights=weights)
    return tables
