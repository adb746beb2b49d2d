"""Pieces shared by the two-network learners (Co-teaching, DivideMix, RoLR, CCL, ...).

Pure functions on tensors; the learners in :mod:`mmnoisy.models.learners` decide what they
are applied to. References:

- Han et al. 2018 (Co-teaching): small-loss exchange and the forget-rate schedule R(T).
- Li et al. 2020 (DivideMix): co-refinement, co-guessing, sharpening, MixMatch, the linear
  ramp of lambda_u and the uniform-prior penalty.
- Chen et al. 2023 (RoLR) and Fan & Li 2025 (CCL Eq. 1, 2, 14): the refurbished target
  w * onehot(y) + (1 - w) * q and the diversity term.
"""
import torch
import torch.nn.functional as F


def soft_cross_entropy(logits, target):
    """Per-sample cross-entropy with a soft target: -sum_c t_c log softmax(logits)_c."""
    return -(target * F.log_softmax(logits, dim=1)).sum(dim=1)


def sharpen(probs, temperature):
    """p_c^(1/T) / sum_j p_j^(1/T) (DivideMix; CCL Eq. 1). T = 1 leaves p unchanged."""
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    if temperature == 1:
        return probs
    p = probs.pow(1.0 / temperature)
    return p / p.sum(dim=1, keepdim=True)


def refurbish(onehot, trust, probs):
    """w * onehot(y) + (1 - w) * p per sample (DivideMix co-refinement, RoLR, CCL Eq. 10)."""
    w = trust.view(-1, 1).to(probs.dtype)
    return w * onehot + (1 - w) * probs


def uniform_prior_penalty(probs):
    """KL(uniform || mean prediction) = sum_c (1/C) log((1/C) / pbar_c) (CCL Eq. 14,
    DivideMix's and RoLR's penalty). ``probs`` is (B, C); a scalar comes back."""
    num_classes = probs.shape[1]
    prior = torch.full((num_classes, ), 1.0 / num_classes, dtype=probs.dtype,
                       device=probs.device)
    mean = probs.mean(dim=0).clamp_min(1e-12)
    return (prior * (prior.log() - mean.log())).sum()


def negative_entropy(logits):
    """mean_i sum_c p_ic log p_ic: the confidence penalty added to warm-up CE under
    asymmetric noise (DivideMix ``NegEntropy``, taken over classes)."""
    logp = F.log_softmax(logits, dim=1)
    return (logp.exp() * logp).sum(dim=1).mean()


def linear_rampup(progress, warmup_epochs, length=16):
    """DivideMix's ramp of lambda_u: clip((progress - warmup) / length, 0, 1), where
    ``progress`` is the epoch plus the fraction of it done."""
    if length <= 0:
        return 1.0
    return float(min(max((progress - warmup_epochs) / length, 0.0), 1.0))


def mixmatch_lambda(alpha, rng):
    """lambda ~ Beta(alpha, alpha), then lambda = max(lambda, 1 - lambda) (MixMatch), so the
    mixed sample stays closer to its first input. ``rng`` is a ``numpy.random.Generator``
    (the learners seed one per iteration, so a resumed run draws the same values)."""
    if alpha <= 0:
        raise ValueError(f'mixup alpha must be > 0, got {alpha}')
    lam = float(rng.beta(alpha, alpha))
    return max(lam, 1.0 - lam)


def mixup(inputs, targets, lam, perm):
    """lam * (x, t) + (1 - lam) * (x, t)[perm] (MixMatch's mixing of the concatenated
    labelled and unlabelled batch)."""
    return (lam * inputs + (1 - lam) * inputs[perm],
            lam * targets + (1 - lam) * targets[perm])


def coteaching_forget_rate(epoch, forget_rate, num_gradual=10, exponent=1.0):
    """Co-teaching's R(T): the fraction of large-loss samples dropped in epoch ``epoch`` of the
    authors' schedule ``rate_schedule`` (``np.linspace(0, forget_rate ** exponent,
    num_gradual)`` then ``forget_rate``): rises linearly from 0 over ``num_gradual`` epochs and
    stays there (Han et al. 2018, Algorithm 1). Their training loop starts at epoch 1 (epoch 0
    only evaluates), so its first trained epoch drops ``rate_schedule[1]``: the learner passes
    its 0-based epoch + 1."""
    if not 0 <= forget_rate < 1:
        raise ValueError(f'forget_rate must be in [0, 1), got {forget_rate}')
    if num_gradual <= 0 or epoch >= num_gradual:
        return float(forget_rate)
    # np.linspace(0, forget_rate ** exponent, num_gradual)[epoch] of the authors' code
    return float(forget_rate**exponent * epoch / max(num_gradual - 1, 1))


def small_loss_indices(losses, keep_ratio):
    """Indices of the ``floor(keep_ratio * B)`` smallest losses (at least one), as the
    Co-teaching code's ``num_remember = int(remember_rate * len(loss))``."""
    num = max(1, int(float(keep_ratio) * losses.numel()))
    return torch.argsort(losses.detach())[:num]


def mixmatch_losses(logits, targets, num_labelled, weights=None):
    """DivideMix's/UNICON's semi-supervised loss on a mixed batch whose first
    ``num_labelled`` rows are labelled: (L_x, L_u) with L_x = mean soft cross-entropy and
    L_u = mean squared error between softmax and target (over samples and classes).

    ``weights`` (B,) multiply each sample's term (UNICON + HMW; the means stay over the
    whole part). An empty part gives a zero that keeps the graph.
    """
    zero = logits.sum() * 0
    n = int(num_labelled)
    w = None if weights is None else weights.to(logits.dtype)
    lx = soft_cross_entropy(logits[:n], targets[:n])
    lu = ((logits[n:].softmax(dim=1) - targets[n:])**2)
    if w is not None:
        lx, lu = lx * w[:n], lu * w[n:, None]
    return (lx.mean() if n else zero), (lu.mean() if len(logits) > n else zero)


def simclr_loss(z1, z2, temperature):
    """The unsupervised contrastive loss of UNICON (SupCon without labels = SimCLR's
    NT-Xent, Khosla et al. 2020 / Chen et al. 2020): the 2B L2-normalised embeddings of two
    views; anchor i's positive is the other view of sample i, its negatives the other 2B - 2
    embeddings; -log softmax of the positive, averaged over the 2B anchors.
    (UNICON: temperature 0.05, equal to the base temperature, so no extra scale.)"""
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    b = len(z1)
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.t() / temperature
    sim = sim.masked_fill(torch.eye(2 * b, dtype=torch.bool, device=z.device), float('-inf'))
    partner = torch.cat([torch.arange(b, 2 * b), torch.arange(b)]).to(z.device)
    return -F.log_softmax(sim, dim=1).gather(1, partner[:, None]).mean()


def scan_loss(probs, neighbour_probs, entropy_weight, eps=1e-8):
    """VRLVMix's Eq. 12 (the SCAN loss, Van Gansbeke et al. 2020, as ScanMix uses it):
    L_CLU = L_N + lambda_e L_e with L_N = -mean_i log <p_i, p_j> (a neighbour j of i; BCE of
    the dot product against 1) and L_e = sum_c pbar_c log pbar_c = -H(mean_i p_i), which
    favours spreading the predictions over the classes. Returns (L_CLU, L_N, L_e)."""
    if len(probs) == 0:
        zero = probs.sum() * 0
        return zero, zero, zero
    dot = (probs * neighbour_probs).sum(dim=1)
    l_n = -dot.clamp_min(eps).log().mean()
    mean = probs.mean(dim=0).clamp_min(eps)
    l_e = (mean * mean.log()).sum()
    return l_n + entropy_weight * l_e, l_n, l_e
