"""DynaCor (Kim et al., CVPR 2024): noisy-label detection by clustering training dynamics.

Pure functions and one ``nn.Module``: dynamics in, per-row noisy scores out; no runner.
Equation numbers are the paper's (../shared/papers/dynacor.md, Sec. 4.3-4.4).

Rows are the training rows of a run with corrupted copies (``CorruptedCopyDataset``): the
originals and the copies, ``is_copy`` marking the copies. ``dynamics`` is (rows, epochs) of
the quantised logit difference sign(f_y - max_{c != y} f_c) in {-1, +1} (Eq. 1; 0 where an
epoch was not recorded for a row).

The distance of Eq. 3: the paper's d(a, b) = 1 - cos(a, b) (``distance='cosine'``) or the
squared Euclidean distance (``'sqeuclidean'``), in training; the validation metric and the final
scores use ``score_distance`` (default: the same). The authors' code, which produced the
published F1, trains with the cosine and scores with the squared Euclidean distance
(``distance='cosine', score_distance='sqeuclidean'``, the published configs).

Cost: every epoch is one shuffled pass over the rows plus one no-grad pass over the rows the
validation metric needs; nothing in it is quadratic in the number of rows (the authors'
per-batch ``np.intersect1d`` over all indices is), so the encoder stage grows linearly. Rows with
identical dynamics (and the same original/copy flag) share one forward pass (``dedupe``): the
losses are weighted by multiplicity, which gives exactly the same values and gradients.
"""
import copy
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DISTANCES = ('cosine', 'sqeuclidean')
NOISY, CLEAN = 0, 1  # columns of q and p


def quantised_dynamics(logits, labels):
    """Eq. 1 for one epoch: sign(f_y - max_{c != y} f_c), with sign(0) = +1. int8 (B,).
    The record's ``margin_sign`` signal, which the training forward writes."""
    from mmnoisy.selection.signals import compute_signals
    return compute_signals(['margin_sign'], logits, labels)['margin_sign'].to(torch.int8)


class DynamicsEncoder(nn.Module):
    """The paper's dynamics encoder (Sec. 5.1, Wang et al. 2017's 1-D CNN as in the authors'
    code): three Conv1d(k=3, padding 1)+ReLU layers 1->16->32->32 channels, flatten, and a
    Linear(32*T -> ``embed_dim``).

    The convolutions run as (1 x k) Conv2d on channels-last tensors, the same function with
    weights of shape (out, in, 1, k). The Linear reads the last feature map position-major,
    (t, c) instead of Conv1d's (c, t): a fixed permutation of its input (the same function
    class, initialised alike) that spares a reordering per step.

    Quantised input (one channel of values in {-1, 0, +1}, Eq. 1) takes an exact shortcut: the
    output of the convolution stack at a position depends only on the 2r+1 input values around
    it (r = layers * (k // 2) = 3) and, near the ends, on where the sequence stops: one of
    3^7 + 2 * (3^4 + 3^5 + 3^6) = 4,293 windows. Each step runs the stack once on those
    windows (without padding, zeroing each layer's outputs outside the sequence as the padded
    network does) and looks every position up by its window. Values and gradients are those
    of the plain path (tested); the convolutions' share of a training step drops from about
    40% to a few percent, whatever the batch size.
    """
    max_table = 4 ** 9  # largest code space (4^(2r+1)) the shortcut tabulates

    def __init__(self, length, in_channels=1, channels=(16, 32, 32), kernel_size=3,
                 embed_dim=512):
        super().__init__()
        if int(length) < 1:
            raise ValueError(f'dynamics length must be >= 1, got {length}')
        self.length, self.in_channels = int(length), int(in_channels)
        layers, prev = [], self.in_channels
        for ch in channels:
            layers += [nn.Conv2d(prev, ch, (1, kernel_size), padding=(0, kernel_size // 2)),
                       nn.ReLU(inplace=True)]
            prev = ch
        self.convs = nn.Sequential(*layers).to(memory_format=torch.channels_last)
        self.fc = nn.Linear(prev * self.length, embed_dim)

        self.kernel_size, self.num_layers = int(kernel_size), len(channels)
        self.radius = self.num_layers * (self.kernel_size // 2)

    def _stack(self, x):
        """The convolution stack on (B, C, L) -> (B, C', L)."""
        return self.convs(x[:, :, None].contiguous(memory_format=torch.channels_last))[:, :, 0]

    def _windows(self, device):
        """Every window of 2r+1 inputs the shortcut can meet: values -1, 0, +1 and, at the
        ends of the sequence, positions outside it (up to r on one side). Returns the windows
        (n, 2r+1) with outside = 0, their inside mask, and a map from the base-4 code of a
        window (digits value+1, outside = 3) to its row. Built once per device."""
        cache = getattr(self, '_window_cache', None)
        if cache is not None and cache[0].device == device:
            return cache
        r = self.radius
        width = 2 * r + 1
        rows = []
        for left in range(r + 1):
            for right in ([0] if left else range(r + 1)):
                free = width - left - right
                codes = torch.arange(3 ** free)
                vals = (codes[:, None] // 3 ** torch.arange(free)) % 3 - 1
                full = torch.full((len(vals), width), 2, dtype=torch.long)  # 2 -> outside
                full[:, left:width - right] = vals
                rows.append(full)
        win = torch.cat(rows)                        # values -1..1, 2 = outside
        inside = win != 2
        digits = torch.where(inside, win + 1, torch.full_like(win, 3))
        code = (digits * 4 ** torch.arange(width)).sum(1)
        code_map = torch.full((4 ** width, ), -1, dtype=torch.long)
        code_map[code] = torch.arange(len(win))
        values = torch.where(inside, win, torch.zeros_like(win)).float()
        self._window_cache = (values.to(device), inside.to(device), code_map.to(device))
        return self._window_cache

    def _stack_windows(self, values, inside):
        """The stack on windows without padding, zeroing each layer's outputs at positions
        outside the sequence (what the padded network sees there): the centre (n, C')."""
        # as explicit matrix products on unfolded windows: the convolution kernels are slow
        # on such short inputs
        h, off, pad, k = values[:, None], 0, self.kernel_size // 2, self.kernel_size
        for m in self.convs:
            if isinstance(m, nn.Conv2d):
                n, c, length = h.shape
                cols = h.unfold(2, k, 1).permute(0, 2, 1, 3).reshape(n * (length - k + 1), c * k)
                h = (cols @ m.weight.reshape(len(m.weight), -1).t() + m.bias).view(
                    n, length - k + 1, -1).transpose(1, 2)
                off += pad
            else:
                h = F.relu(h) * inside[:, None, off:inside.shape[1] - off]
        return h[:, :, 0]

    @property
    def has_shortcut(self):
        return (self.in_channels == 1 and self.kernel_size % 2 == 1 and
                self.length >= 2 * self.radius + 1 and 4 ** (2 * self.radius + 1) <= self.max_table)

    def window_rows(self, x):
        """(B, T) quantised dynamics -> (B, T) int16: each position's row of the window table.
        They depend on the dynamics only, so a caller may compute them once and pass
        ``rows=`` to :meth:`forward`."""
        r = self.radius
        width = 2 * r + 1
        code_map = self._windows(x.device)[2]
        x = x[:, 0] if x.dim() == 3 else x
        digits = F.pad(x.round().long() + 1 if x.is_floating_point() else x.long() + 1,
                       (r, r), value=3)                                   # 3 = outside
        codes = (digits.unfold(1, width, 1) * 4 ** torch.arange(width, device=x.device)).sum(-1)
        return code_map[codes].to(torch.int16)

    def forward(self, x, quantised=None, rows=None):
        """x: (B, T) or (B, in_channels, T) -> (B, embed_dim). ``quantised``: whether x holds
        only -1, 0, +1 (None: checked). ``rows``: :meth:`window_rows` of x, precomputed (x is
        then not read and may be None)."""
        if rows is None:
            if x.dim() == 2:
                x = x[:, None]
            if x.shape[1:] != (self.in_channels, self.length):
                raise ValueError(f'the encoder takes (B, {self.in_channels}, {self.length}) '
                                 f'dynamics, got {tuple(x.shape)}')
            if quantised is None:
                quantised = bool(((x == -1) | (x == 0) | (x == 1)).all())
            if not (quantised and self.has_shortcut):
                return self.fc(self._stack(x.float()).transpose(1, 2).flatten(1))
            rows = self.window_rows(x)
        values, inside, _ = self._windows(rows.device)
        table = self._stack_windows(values, inside)                       # (windows, C)
        h = F.embedding(rows.long(), table)                               # (B, T, C)
        return self.fc(h.flatten(1))


def cluster_distance(z, centroids, distance='cosine'):
    """(B, 2) distances of representations to the [noisy, clean] centroids: d of Eq. 3."""
    if distance == 'cosine':
        return 1.0 - F.normalize(z, dim=1) @ F.normalize(centroids, dim=1).t()
    if distance == 'sqeuclidean':
        return (z[:, None, :] - centroids[None]).pow(2).sum(-1)
    raise ValueError(f'distance must be one of {DISTANCES}, got {distance!r}')


def soft_assignment(dist):
    """Eq. 3: Student-t kernel with one degree of freedom, q = [q_noisy, q_clean] (B, 2)."""
    kernel = 1.0 / (1.0 + dist)
    return kernel / kernel.sum(dim=1, keepdim=True)


def target_distribution(q, weights=None):
    """Eq. 5: p_k proportional to q_k^2 / s_k, s_k = sum over the rows of q_k (rows weighted by
    ``weights``, e.g. multiplicities). No gradient flows through the target."""
    q = q.detach()
    w = torch.ones(len(q), dtype=q.dtype, device=q.device) if weights is None else weights
    s = (w[:, None] * q).sum(dim=0)
    num = q.pow(2) / s
    return num / num.sum(dim=1, keepdim=True)


def clustering_loss(q, p, weights=None):
    """Eq. 6 averaged over the rows: mean_i KL(p_i || q_i) (the authors' 'batchmean')."""
    kl = (p * (p.clamp_min(1e-12).log() - q.clamp_min(1e-12).log())).sum(dim=1)
    if weights is None:
        return kl.mean()
    return (weights * kl).sum() / weights.sum()


def alignment_loss(z, is_copy, noisy_pred, weights=None, distance='cosine'):
    """Eq. 7: distance between the mean representation of the originals and of the copies
    predicted noisy, and likewise predicted clean, averaged. A pair with an empty side is left
    out (the authors' code keeps only the noisy pair when a clean group is empty); with no
    complete pair the loss is 0."""
    is_copy, noisy_pred = is_copy.bool(), noisy_pred.bool()
    w = torch.ones(len(z), dtype=z.dtype, device=z.device) if weights is None else weights
    # the four group means in one matrix product (no B x d temporaries): columns are
    # original-noisy, copy-noisy, original-clean, copy-clean
    groups = torch.stack([noisy_pred & ~is_copy, noisy_pred & is_copy,
                          ~noisy_pred & ~is_copy, ~noisy_pred & is_copy], dim=1)
    mass = w[:, None] * groups.to(z.dtype)                              # (B, 4)
    sizes = mass.sum(dim=0)
    means = (mass.t() @ z) / sizes.clamp_min(1e-12)[:, None]            # (4, d)
    terms = [cluster_distance(means[i:i + 1], means[i + 1:i + 2], distance)[0, 0]
             for i in (0, 2) if sizes[i] > 0 and sizes[i + 1] > 0]
    if not terms:
        return z.sum() * 0.0
    return torch.stack(terms).mean()


def validation_metric(q_noisy, is_copy, noisy_pred, original_rows=None):
    """Eq. 9: (mean q_noisy over copies predicted noisy - mean q_noisy over originals predicted
    clean)^2; larger is better. ``original_rows`` (bool) restricts the originals (the authors'
    code uses the originals that have a copy, a uniform sample of them). 0 when a group is
    empty. numpy in, float out."""
    q_noisy = np.asarray(q_noisy, np.float64)
    is_copy, noisy_pred = np.asarray(is_copy, bool), np.asarray(noisy_pred, bool)
    originals = ~is_copy if original_rows is None else (~is_copy & np.asarray(original_rows,
                                                                             bool))
    a, b = is_copy & noisy_pred, originals & ~noisy_pred
    if not a.any() or not b.any():
        return 0.0
    return float((q_noisy[a].mean() - q_noisy[b].mean()) ** 2)


@dataclass
class DynaCorResult:
    scores: np.ndarray          # (rows,) q_noisy of every row at the selected epoch
    flags: np.ndarray           # (rows,) bool, q_noisy > q_clean (Eq. 4)
    best_epoch: int             # 0 = the initialised encoder, before any training
    metric: list = field(default_factory=list)   # Eq. 9 after each epoch, [init, 1, ...]
    loss: list = field(default_factory=list)     # mean training loss of each epoch
    align: list = field(default_factory=list)    # mean alignment loss of each epoch
    unique_rows: int = 0


def _as_dynamics(dynamics):
    dyn = np.asarray(dynamics)
    if dyn.ndim == 2:
        dyn = dyn[:, None]
    if dyn.ndim != 3:
        raise ValueError(f'dynamics must be (rows, epochs) or (rows, channels, epochs), got '
                         f'{dyn.shape}')
    if dyn.shape[0] == 0 or dyn.shape[-1] == 0:
        raise ValueError(f'no dynamics to detect from: shape {dyn.shape} (has any epoch been '
                         'recorded?)')
    if dyn.dtype.kind in 'iu':
        # missing epochs (the record's int8 minimum) count as 0, neither clean nor noisy
        dyn = np.where(dyn == np.iinfo(np.int8).min, 0, dyn).astype(np.int8)
    return dyn


def fit_dynacor(dynamics, is_copy, alpha=0.5, epochs=15, batch_size=1024, lr=1e-5,
                weight_decay=1e-4, embed_dim=512, distance='cosine', score_distance=None,
                metric_rows='paired', source_idx=None, use_alignment=True, use_clustering=True, drop_last=True,
                dedupe=True, seed=0, progress=None, eval_batch_size=8192):
    """Train the dynamics encoder (Eq. 8) and return the scores of the epoch with the best
    validation metric (Eq. 9).

    Args:
        dynamics: (rows, T) or (rows, C, T) array, Eq. 1 per epoch (int8 {-1, +1}).
        is_copy: (rows,) bool, True for the corrupted copies.
        alpha: weight of the alignment loss (paper: 0.05 or 0.5; authors' default 0.5).
        epochs, batch_size, lr, weight_decay: the encoder's Adam training (authors: 15, 1024,
            1e-5, 1e-4), shuffled batches, the last incomplete one dropped (``drop_last``).
        embed_dim: d_z (512).
        distance: 'cosine' (the paper's) or 'sqeuclidean', of training (Eq. 3-8).
        score_distance: the distance of the validation metric (Eq. 9) and the final scores;
            None = ``distance``; the authors' code: 'sqeuclidean'.
        metric_rows: originals of Eq. 9: 'paired' (those with a copy, needs ``source_idx``;
            the authors' code) or 'all' (Eq. 9 as written).
        source_idx: (rows,) index of the original each row comes from (copies) or itself.
        use_alignment, use_clustering: switch the two losses (Table 4 ablations).
        dedupe: forward identical (dynamics, is_copy) rows once (exact).
        seed: fixes the encoder initialisation and the batch order.
        progress: called as progress(epoch, epochs, metric, loss) after each epoch.
    """
    score_distance = distance if score_distance is None else score_distance
    for name, value in (('distance', distance), ('score_distance', score_distance)):
        if value not in DISTANCES:
            raise ValueError(f'{name} must be one of {DISTANCES}, got {value!r}')
    if metric_rows not in ('paired', 'all'):
        raise ValueError(f"metric_rows must be 'paired' or 'all', got {metric_rows!r}")
    if alpha < 0:
        raise ValueError(f'alpha must be >= 0, got {alpha}')
    if int(epochs) < 0 or int(batch_size) < 2:
        raise ValueError(f'epochs must be >= 0 and batch_size >= 2, got {epochs}, {batch_size}')
    dyn = _as_dynamics(dynamics)
    is_copy = np.asarray(is_copy, bool)
    rows = len(dyn)
    if is_copy.shape != (rows, ):
        raise ValueError(f'is_copy has {is_copy.shape} entries for {rows} rows of dynamics')
    if not is_copy.any() or is_copy.all():
        raise ValueError('DynaCor needs corrupted copies and originals: is_copy marks '
                         f'{int(is_copy.sum())} of {rows} rows')
    paired = None
    if metric_rows == 'paired':
        if source_idx is None:
            raise ValueError("metric_rows='paired' needs source_idx")
        source_idx = np.asarray(source_idx, np.int64)
        paired = np.zeros(rows, bool)
        paired[source_idx[is_copy]] = True
        paired &= ~is_copy

    # unique (dynamics, is_copy) rows: uid maps each row to its unique row
    key = np.concatenate([dyn.reshape(rows, -1), is_copy[:, None].astype(np.int8)], axis=1)
    if dedupe:
        uniq, uid = np.unique(key, axis=0, return_inverse=True)
        uid = uid.reshape(-1)
    else:
        uniq, uid = key, np.arange(rows)
    quantised = bool(np.isin(dyn, (-1, 0, 1)).all())
    # quantised dynamics stay int8 (1 byte a value; a million rows of 200 epochs: 200 MB)
    u_dyn = torch.from_numpy(uniq[:, :-1].astype(np.int8 if quantised else np.float32)).view(
        len(uniq), *dyn.shape[1:])
    u_copy = torch.from_numpy(uniq[:, -1].astype(bool))
    uid_t = torch.from_numpy(uid)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        encoder = DynamicsEncoder(dyn.shape[-1], dyn.shape[1], embed_dim=embed_dim)
        order_gen = torch.Generator().manual_seed(seed)

    # the window-table rows of every distinct row, once (they do not change with the weights)
    u_rows = None
    if quantised and encoder.has_shortcut:
        u_rows = torch.cat([encoder.window_rows(u_dyn[i:i + eval_batch_size])
                            for i in range(0, len(u_dyn), eval_batch_size)])
        u_dyn = None  # not read again

    def encode(u_ids):
        if u_rows is not None:
            return encoder(None, rows=u_rows[u_ids])
        return encoder(u_dyn[u_ids], quantised)

    def embed(u_ids):
        with torch.no_grad():
            out = [encode(u_ids[i:i + eval_batch_size])
                   for i in range(0, len(u_ids), eval_batch_size)]
        return torch.cat(out) if out else torch.zeros(0, embed_dim)

    def scores_of(u_ids):
        z = embed(u_ids)
        return soft_assignment(cluster_distance(z, centroids.detach(),
                                                score_distance))[:, NOISY]

    # centroids: mean representation of the copies (noisy) and of the originals (clean)
    encoder.eval()
    all_u = torch.arange(len(uniq))
    z_all = embed(all_u)
    counts = torch.bincount(uid_t, minlength=len(uniq)).to(z_all.dtype)
    copy_counts = torch.bincount(uid_t[torch.from_numpy(is_copy)], minlength=len(uniq))
    orig_counts = counts - copy_counts.to(z_all.dtype)
    mu_noisy = (copy_counts.to(z_all.dtype)[:, None] * z_all).sum(0) / copy_counts.sum()
    mu_clean = (orig_counts[:, None] * z_all).sum(0) / orig_counts.sum()
    centroids = nn.Parameter(torch.stack([mu_noisy, mu_clean]))
    del z_all

    # rows the validation metric reads: the copies and the (paired or all) originals
    metric_mask = is_copy | (paired if paired is not None else ~is_copy)
    metric_u = torch.from_numpy(np.unique(uid[metric_mask]))
    m_copy = is_copy[metric_mask]
    m_uid_pos = np.searchsorted(metric_u.numpy(), uid[metric_mask])

    def evaluate():
        q = scores_of(metric_u).numpy()[m_uid_pos]
        return validation_metric(q, m_copy, q > 0.5)

    result = DynaCorResult(scores=None, flags=None, best_epoch=0, unique_rows=len(uniq))
    best_metric = evaluate()
    result.metric.append(best_metric)
    best_state = copy.deepcopy((encoder.state_dict(), centroids.detach().clone()))
    params = list(encoder.parameters()) + [centroids]
    try:  # the fused step: the same update, about 10x faster than the default on CPU
        optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=True)
    except (RuntimeError, TypeError):  # pragma: no cover - older torch builds
        optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    n_batches = rows // batch_size if drop_last else -(-rows // batch_size)
    if n_batches == 0:
        n_batches, batch_size = 1, rows
    for epoch in range(1, int(epochs) + 1):
        encoder.train()
        perm = torch.randperm(rows, generator=order_gen)
        tot, tot_align = 0.0, 0.0
        for b in range(n_batches):
            ids = uid_t[perm[b * batch_size:(b + 1) * batch_size]]
            u_ids, mult = torch.unique(ids, return_counts=True)
            w = mult.to(torch.float32)
            z = encode(u_ids)
            q = soft_assignment(cluster_distance(z, centroids, distance))
            loss = z.new_zeros(())
            if use_clustering:
                loss = loss + clustering_loss(q, target_distribution(q, w), w)
            align = z.new_zeros(())
            if use_alignment and alpha > 0:
                noisy_pred = q[:, NOISY].detach() > q[:, CLEAN].detach()   # Eq. 4
                align = alignment_loss(z, u_copy[u_ids], noisy_pred, w, distance)
                loss = loss + alpha * align                              # Eq. 8
            optimizer.zero_grad()
            if loss.requires_grad:
                loss.backward()
                optimizer.step()
            tot += float(loss.detach())
            tot_align += float(align.detach())
        encoder.eval()
        metric = evaluate()
        result.metric.append(metric)
        result.loss.append(tot / n_batches)
        result.align.append(tot_align / n_batches)
        if metric > best_metric:
            best_metric, result.best_epoch = metric, epoch
            best_state = copy.deepcopy((encoder.state_dict(), centroids.detach().clone()))
        if progress is not None:
            progress(epoch, int(epochs), metric, tot / n_batches)

    encoder.load_state_dict(best_state[0])
    centroids = best_state[1]
    encoder.eval()
    scores = scores_of(all_u).numpy()[uid].astype(np.float32)
    result.scores = scores
    result.flags = scores > 0.5
    return result
