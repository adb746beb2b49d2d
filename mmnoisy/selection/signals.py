"""Per-sample signals a network produces about each training sample.

Pure torch functions: logits (B, C), noisy labels (B,), optionally pooled features (B, D) and
the classifier's class weights (C, D) in; a dict of per-sample tensors out. The per-sample
record (``mmnoisy.engine.SampleRecord``) stores them over epochs; ``selection`` consumers read
them. Equation numbers refer to the HMW paper (Zhang et al., AAAI 2024) and DynaCor (CVPR 2024).
"""
import contextlib

import torch
import torch.nn.functional as F

# name -> (storage dtype, what it needs, how many values per sample)
SIGNALS = {
    'loss': ('float32', 'logits', 1),            # CE against the noisy label
    'margin': ('float16', 'logits', 1),          # AUM slice M, HMW Eq. 5 (Pleiss et al. 2020)
    'topk_margin': ('float16', 'logits', 1),     # TKUM slice U, HMW Eq. 6 (>= 0)
    'cos_dist': ('float16', 'class_weights', 'classes'),  # d^ to every class, HMW Eq. 10-11
    'cos_margin': ('float16', 'class_weights', 1),        # hyperspherical M~ (min-search)
    'cos_topk_margin': ('float16', 'class_weights', 1),   # hyperspherical U~ (<= 0)
    'prob_margin': ('float16', 'logits', 1),      # M~ with d = -softmax (HMW, non-spherical)
    'prob_topk_margin': ('float16', 'logits', 1),  # U~ with d = -softmax (<= 0)
    'prob': ('float16', 'logits', 'classes'),    # softmax (confident learning)
    'pred': ('int16', 'logits', 1),              # predicted class
    'confidence': ('float16', 'logits', 1),      # max softmax
    'margin_sign': ('int2', 'logits', 1),        # DynaCor's quantised dynamics sign(M) (Eq. 1),
                                                 # 2 bits a value, read back as int8
    'feature': ('float16', 'features', 'features'),  # pooled feature vector
}


def check_signal_names(names, num_classes=None, topk=1):
    unknown = sorted(set(names) - set(SIGNALS))
    if unknown:
        raise ValueError(f'unknown per-sample signals {unknown}; known: {sorted(SIGNALS)}')
    needs_topk = {'topk_margin', 'cos_topk_margin', 'prob_topk_margin'} & set(names)
    if needs_topk and num_classes is not None and topk + 2 > num_classes:
        raise ValueError(f'{sorted(needs_topk)} with topk={topk} need at least topk + 2 = '
                         f'{topk + 2} classes, the model has {num_classes}')
    if int(topk) < 1:
        raise ValueError(f'topk must be >= 1, got {topk}')


def _best_other_and_next(scores, labels, topk):
    """Largest score over classes != label, and the mean of the next ``topk`` largest."""
    masked = scores.scatter(1, labels[:, None], float('-inf'))
    top = masked.topk(topk + 1, dim=1).values
    return top[:, 0], top[:, 1:].mean(dim=1)


def class_cosines(features, class_weights):
    """cos(f, W_q) of every sample to every class weight (no grad, float32): (B, C).

    float32 under AMP too: autocast would run the product in half precision (in bfloat16,
    which numpy cannot hold, the record's write failed)."""
    with _float32(features):
        return F.normalize(features.detach().float(), dim=1) @ \
            F.normalize(class_weights.detach().float(), dim=1).t()


@contextlib.contextmanager
def _float32(tensor):
    """No gradient and no autocast on ``tensor``'s device: the signals are float32 even when
    the training forward that produced their inputs ran under AMP."""
    with torch.no_grad(), torch.autocast(tensor.device.type, enabled=False):
        yield


def compute_signals(names, logits, labels, features=None, class_weights=None, topk=1):
    """Compute the requested signals for one batch (no grad, float32/int64 results).

    Args:
        names (iterable[str]): keys of :data:`SIGNALS`.
        logits (Tensor): (B, C) pre-softmax scores.
        labels (Tensor): (B,) noisy labels, the ones training uses.
        features (Tensor): (B, D) pooled features (``cos_*`` and ``feature``).
        class_weights (Tensor): (C, D) classifier weights (``cos_*``).
        topk (int): k of the top-k margins (HMW uses k = 1).
    """
    names = set(names)
    out = {}
    with _float32(logits):
        logits = logits.detach().float()
        labels = labels.detach().long()
        label_logit = logits.gather(1, labels[:, None]).squeeze(1)
        if 'loss' in names:
            out['loss'] = F.cross_entropy(logits, labels, reduction='none')
        if names & {'margin', 'topk_margin', 'margin_sign'}:
            best_other, next_mean = _best_other_and_next(logits, labels, topk)
            margin = label_logit - best_other                       # Eq. 5
            if 'margin' in names:
                out['margin'] = margin
            if 'topk_margin' in names:
                out['topk_margin'] = best_other - next_mean          # Eq. 6
            if 'margin_sign' in names:
                out['margin_sign'] = torch.where(margin >= 0, 1, -1)  # sign(0) = +1
        if names & {'prob_margin', 'prob_topk_margin'}:
            # the authors' non-spherical distances d = -p: min-search on d = max-search on p
            prob = logits.softmax(dim=1)
            best_other, next_mean = _best_other_and_next(prob, labels, topk)
            p_y = prob.gather(1, labels[:, None]).squeeze(1)
            if 'prob_margin' in names:
                out['prob_margin'] = best_other - p_y                # d_y - d_o
            if 'prob_topk_margin' in names:
                out['prob_topk_margin'] = next_mean - best_other     # d_o - d_next <= 0
        if 'prob' in names:
            out['prob'] = logits.softmax(dim=1)
        if 'pred' in names or 'confidence' in names:
            prob = logits.softmax(dim=1)
            conf, pred = prob.max(dim=1)
            if 'pred' in names:
                out['pred'] = pred
            if 'confidence' in names:
                out['confidence'] = conf
        if names & {'cos_dist', 'cos_margin', 'cos_topk_margin'}:
            if features is None or class_weights is None:
                raise ValueError('cosine signals need the features and the class weights')
            cos = class_cosines(features, class_weights)
            dist = (1.0 - cos) / 2.0                                 # Eq. 11
            if 'cos_dist' in names:
                out['cos_dist'] = dist
            # min-search on distances == max-search on cosines, halved
            best_other, next_mean = _best_other_and_next(cos, labels, topk)
            d_y = dist.gather(1, labels[:, None]).squeeze(1)
            d_o, d_next = (1.0 - best_other) / 2.0, (1.0 - next_mean) / 2.0
            if 'cos_margin' in names:
                out['cos_margin'] = d_y - d_o                        # M~: < 0 when y is nearest
            if 'cos_topk_margin' in names:
                out['cos_topk_margin'] = d_o - d_next                # U~ <= 0
        if 'feature' in names:
            if features is None:
                raise ValueError("signal 'feature' needs the features")
            out['feature'] = features.detach().float()
    return out
