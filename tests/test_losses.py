import math

import pytest
import torch

from mmnoisy.models.losses import SCE_CODE_LOG_ZERO, GCELoss, SCELoss, gce_loss, sce_loss

LOGITS = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, -1.0]])
TARGET = torch.tensor([0, 2])


def _softmax_y():
    e0 = math.exp(2) / (math.exp(2) + 2)          # sample 0, class 0
    e1 = math.exp(-1) / (1 + math.e + math.exp(-1))  # sample 1, class 2
    return e0, e1


def test_sce_hand_computed():
    p0, p1 = _softmax_y()
    alpha, beta, A = 0.1, 1.0, -4.0
    expected = [alpha * -math.log(p0) + beta * -A * (1 - p0),
                alpha * -math.log(p1) + beta * -A * (1 - p1)]
    got = sce_loss(LOGITS, TARGET, alpha, beta, A)
    assert torch.allclose(got, torch.tensor(expected), atol=1e-6)
    module = SCELoss(alpha=alpha, beta=beta)
    assert module(LOGITS, TARGET).item() == pytest.approx(sum(expected) / 2, abs=1e-6)


def test_sce_code_faithful_constant():
    p0, _ = _softmax_y()
    got = sce_loss(LOGITS[:1], TARGET[:1], 0.0, 1.0, SCE_CODE_LOG_ZERO)
    assert got.item() == pytest.approx(-math.log(1e-4) * (1 - p0), rel=1e-6)


def test_gce_hand_computed_and_limits():
    p0, p1 = _softmax_y()
    q = 0.7
    got = gce_loss(LOGITS, TARGET, q)
    assert torch.allclose(got, torch.tensor([(1 - p0**q) / q, (1 - p1**q) / q]), atol=1e-6)
    # q = 1 is MAE-like: 1 - p_y
    assert torch.allclose(gce_loss(LOGITS, TARGET, 1.0), torch.tensor([1 - p0, 1 - p1]),
                          atol=1e-6)


def test_per_sample_weights_and_avg_factor():
    per = gce_loss(LOGITS, TARGET, 0.7)
    weight = torch.tensor([0.25, 1.0])
    got = GCELoss(q=0.7)(LOGITS, TARGET, weight=weight, avg_factor=2)
    assert got.item() == pytest.approx((0.25 * per[0] + per[1]).item() / 2, abs=1e-6)
    none = GCELoss(q=0.7, reduction='none')(LOGITS, TARGET, weight=weight)
    assert torch.allclose(none, per * weight)


def test_gradients_flow():
    logits = LOGITS.clone().requires_grad_(True)
    SCELoss()(logits, TARGET).backward()
    assert logits.grad.abs().sum() > 0


def test_bad_loss_settings():
    with pytest.raises(ValueError, match='q must be in'):
        GCELoss(q=0)
    with pytest.raises(ValueError, match='alpha and beta'):
        SCELoss(alpha=-1)
    with pytest.raises(ValueError, match='hard labels'):
        SCELoss()(LOGITS, torch.eye(3)[:2])
