"""Noise-robust losses: SCE (Wang et al., ICCV 2019) and GCE (Zhang & Sabuncu, NeurIPS 2018).

Pure functions return per-sample losses; the registered modules add per-sample weights and
reduction with mmpretrain's ``weight_reduce_loss``, so they drop into any ``ClsHead``
(``loss=dict(type='SCELoss', ...)``) and accept the ``weight=`` a weighting method passes.
"""
import math

import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.losses.utils import weight_reduce_loss

from mmnoisy.registry import MODELS


def _check_hard(target, logits):
    if target.ndim != 1:
        raise ValueError(f'{logits.shape[1]}-class robust losses take hard labels of shape '
                         f'(N,), got a target of shape {tuple(target.shape)} (mixup scores?)')


def sce_loss(logits, target, alpha, beta, log_zero=-4.0):
    """Symmetric cross entropy, per sample: ``alpha * CE + beta * RCE`` (paper Eq. 5-6).

    RCE = -sum_k p_k log q_k with q the one-hot label and log 0 := A (``log_zero``), which
    reduces to ``-A * (1 - p_y)``. The paper sets A = -4; the authors' code clamps the
    one-hot label at 1e-4, i.e. A = log(1e-4) = -9.21 (pass that for code-faithful runs).
    """
    ce = F.cross_entropy(logits, target, reduction='none')
    prob_y = F.softmax(logits, dim=1).gather(1, target[:, None]).squeeze(1)
    rce = -log_zero * (1.0 - prob_y)
    return alpha * ce + beta * rce


def gce_loss(logits, target, q=0.7):
    """Generalized cross entropy L_q, per sample: ``(1 - p_y^q) / q`` (paper Eq. 6)."""
    prob_y = F.softmax(logits, dim=1).gather(1, target[:, None]).squeeze(1)
    return (1.0 - prob_y.clamp(min=1e-12).pow(q)) / q


class _RobustLoss(nn.Module):

    def __init__(self, reduction='mean', loss_weight=1.0):
        super().__init__()
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
        self.reduction, self.loss_weight = reduction, loss_weight

    def per_sample(self, logits, target):
        raise NotImplementedError

    def forward(self, cls_score, label, weight=None, avg_factor=None, reduction_override=None,
                **kwargs):
        if kwargs:
            raise TypeError(f'{type(self).__name__} got unexpected arguments {sorted(kwargs)}')
        _check_hard(label, cls_score)
        reduction = reduction_override or self.reduction
        loss = self.per_sample(cls_score, label)
        if weight is not None:
            weight = weight.float()
        return self.loss_weight * weight_reduce_loss(loss, weight, reduction, avg_factor)


@MODELS.register_module()
class SCELoss(_RobustLoss):
    """Symmetric cross entropy. Published settings: CIFAR-10 alpha=0.1, beta=1.0;
    CIFAR-100 alpha=6.0, beta=0.1; A=-4 (``log_zero``; the code's value is log(1e-4))."""

    def __init__(self, alpha=0.1, beta=1.0, log_zero=-4.0, **kwargs):
        super().__init__(**kwargs)
        if alpha < 0 or beta < 0:
            raise ValueError(f'SCE alpha and beta must be >= 0, got {alpha}, {beta}')
        if log_zero >= 0:
            raise ValueError(f'log_zero (A) must be negative, got {log_zero}')
        self.alpha, self.beta, self.log_zero = alpha, beta, log_zero

    def per_sample(self, logits, target):
        return sce_loss(logits, target, self.alpha, self.beta, self.log_zero)


@MODELS.register_module()
class GCELoss(_RobustLoss):
    """Generalized cross entropy with the published q = 0.7 (the truncated variant's
    pruning is not implemented)."""

    def __init__(self, q=0.7, **kwargs):
        super().__init__(**kwargs)
        if not 0 < q <= 1:
            raise ValueError(f'GCE q must be in (0, 1], got {q}')
        self.q = q

    def per_sample(self, logits, target):
        return gce_loss(logits, target, self.q)


SCE_CODE_LOG_ZERO = math.log(1e-4)
