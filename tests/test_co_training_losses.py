"""The pure loss pieces of the co-training learners against hand-computed values."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmnoisy.models.losses import (acl_loss, ccl_losses, cclrl_loss, confident_pg_loss,
                                   coteaching_forget_rate, linear_rampup, mimicry_loss,
                                   mixmatch_lambda, mixup, negative_entropy, refurbish, sharpen,
                                   similarity, small_loss_indices, soft_cross_entropy,
                                   uniform_prior_penalty)


def test_soft_cross_entropy_sharpen_refurbish():
    logits = torch.tensor([[0.0, math.log(3.0)]])  # softmax [1/4, 3/4]
    ce = soft_cross_entropy(logits, torch.tensor([[0.5, 0.5]]))
    assert ce.item() == pytest.approx(0.5 * (math.log(4) + math.log(4 / 3)))
    p = torch.tensor([[0.2, 0.8]])
    assert torch.allclose(sharpen(p, 0.5), torch.tensor([[0.04, 0.64]]) / 0.68)
    assert torch.equal(sharpen(p, 1), p)
    with pytest.raises(ValueError, match='temperature'):
        sharpen(p, 0)
    out = refurbish(torch.tensor([[1.0, 0.0]]), torch.tensor([0.25]), p)
    assert torch.allclose(out, torch.tensor([[0.4, 0.6]]))


def test_prior_penalty_and_negative_entropy():
    probs = torch.tensor([[1.0, 0.0], [0.5, 0.5]])  # mean [0.75, 0.25]
    expected = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    assert uniform_prior_penalty(probs).item() == pytest.approx(expected)
    assert uniform_prior_penalty(torch.full((3, 4), 0.25)).item() == pytest.approx(0, abs=1e-7)
    assert negative_entropy(torch.zeros(2, 4)).item() == pytest.approx(-math.log(4))


def test_rampup_mixup_lambda_and_mixing():
    assert linear_rampup(12.0, 10) == pytest.approx(2 / 16)
    assert linear_rampup(5.0, 10) == 0 and linear_rampup(40.0, 10) == 1
    lam = mixmatch_lambda(4.0, np.random.default_rng([3, 7]))
    b = np.random.default_rng([3, 7]).beta(4.0, 4.0)
    assert lam == pytest.approx(max(b, 1 - b)) and lam >= 0.5
    assert all(mixmatch_lambda(0.5, np.random.default_rng(i)) >= 0.5 for i in range(50))
    with pytest.raises(ValueError, match='alpha'):
        mixmatch_lambda(0, np.random.default_rng(0))
    x = torch.tensor([[1.0], [3.0]])
    t = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    mx, mt = mixup(x, t, 0.75, torch.tensor([1, 0]))
    assert torch.allclose(mx, torch.tensor([[1.5], [2.5]]))
    assert torch.allclose(mt, torch.tensor([[0.75, 0.25], [0.25, 0.75]]))


def test_coteaching_schedule_and_small_loss():
    # np.linspace(0, 0.5, 10): 0 at epoch 0, 0.5 from epoch 9 on
    assert coteaching_forget_rate(0, 0.5) == 0
    assert coteaching_forget_rate(5, 0.5) == pytest.approx(np.linspace(0, 0.5, 10)[5])
    assert coteaching_forget_rate(9, 0.5) == pytest.approx(0.5)
    assert coteaching_forget_rate(50, 0.5) == 0.5
    assert coteaching_forget_rate(3, 0.5, exponent=2) == pytest.approx(0.25 * 3 / 9)
    with pytest.raises(ValueError, match='forget_rate'):
        coteaching_forget_rate(0, 1.0)
    losses = torch.tensor([0.9, 0.1, 0.5, 0.3])
    assert small_loss_indices(losses, 0.5).tolist() == [1, 3]
    assert small_loss_indices(losses, 0.6).tolist() == [1, 3]  # int(2.4): floor, as the code
    assert small_loss_indices(losses, 0.0).tolist() == [1]  # at least one sample


def test_contrastive_distributions():
    eye = torch.eye(2)
    sim = similarity(eye * 3, eye, 1.0)  # normalised: the identity
    assert torch.allclose(sim, eye)
    assert torch.allclose(similarity(eye, eye, 0.5), eye * 2)
    # Eq. 5: -log(e / (e + 1)) for each anchor
    assert torch.allclose(acl_loss(sim), torch.full((2, ), math.log(1 + math.exp(-1))))
    # Eq. 6/12: zero for a symmetric S; hand value for an asymmetric one
    assert torch.allclose(mimicry_loss(torch.tensor([[1.0, 0.3], [0.3, 2.0]])),
                          torch.zeros(2), atol=1e-7)
    a = 2.0
    s = torch.tensor([[0.0, a], [0.0, 0.0]])
    p0 = F.softmax(torch.tensor([0.0, a]), 0)
    kl0 = (p0 * (p0 / 0.5).log()).sum()
    q1 = F.softmax(torch.tensor([a, 0.0]), 0)
    kl1 = (0.5 * (0.5 / q1).log()).sum()
    assert torch.allclose(mimicry_loss(s), torch.stack([kl0, kl1]))


def test_confident_predicted_guidance():
    logits_s = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    probs_w = torch.tensor([[0.96, 0.04], [0.6, 0.4]])
    out = confident_pg_loss(logits_s, probs_w, 0.95)
    assert out[0].item() == pytest.approx(-0.96 * F.log_softmax(logits_s[0], 0)[0].item())
    assert out[1].item() == 0  # below c: not learned
    # c = 0 (the "w/o threshold" ablation) learns the second sample's weak argmax (class 0)
    assert confident_pg_loss(logits_s, probs_w, 0.0)[1].item() == pytest.approx(
        -0.6 * F.log_softmax(logits_s[1], 0)[0].item())


def test_cclrl_positive_set():
    sim = torch.tensor([[1.0, 0.5, 0.0], [0.2, 1.0, 0.3], [0.0, 0.4, 1.0]])
    classes = torch.tensor([0, 0, 1])  # samples 0 and 1 share a refurbished class
    out = cclrl_loss(sim, classes)
    e = sim.exp()
    expected = [-math.log((e[0, 0] + e[0, 1]) / e[0].sum()),
                -math.log((e[1, 0] + e[1, 1]) / e[1].sum()),
                -math.log(e[2, 2] / e[2].sum())]
    assert torch.allclose(out, torch.tensor(expected))
    # every sample its own class: the vanilla contrastive loss (= Eq. 5's form)
    assert torch.allclose(cclrl_loss(sim, torch.arange(3)), acl_loss(sim))


def _ccl_inputs(b=6, c=3, d=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    logits_w, logits_s = torch.randn(b, c, generator=g), torch.randn(b, c, generator=g)
    feat_w, feat_s, peer_feat = (torch.randn(b, d, generator=g) for _ in range(3))
    peer_probs = torch.randn(b, c, generator=g).softmax(1)
    labels = torch.randint(0, c, (b, ), generator=g)
    return logits_w, logits_s, feat_w, feat_s, peer_probs, peer_feat, F.one_hot(labels, c).float()


def test_ccl_total_is_eq15():
    args = _ccl_inputs()
    logits_w, logits_s, feat_w, feat_s, peer_probs, peer_feat, onehot = args
    b = len(onehot)
    div = uniform_prior_penalty(logits_s.softmax(1))
    # w = 1 everywhere: only the CE to the given label and the diversity term remain
    out = ccl_losses(*args, trust=torch.ones(b))
    assert out['loss'].item() == pytest.approx(
        (soft_cross_entropy(logits_s, onehot).mean() + div).item(), rel=1e-6)
    # w = 0, only L_ACL and L_div switched on: (1 - 0)/2 * ACL
    only_acl = {k: 0.0 for k in ('ce', 'pg', 'vm', 'cml_ce', 'cclrl', 'mm')}
    out = ccl_losses(*args, trust=torch.zeros(b), temperature=0.5, weights=only_acl)
    acl = acl_loss(similarity(feat_s, feat_w, 0.5))
    assert out['loss'].item() == pytest.approx((acl.mean() / 2 + div).item(), rel=1e-6)
    # the full sum of terms for a mixed w, term by term
    w = torch.linspace(0, 1, b)
    out = ccl_losses(*args, trust=w, temperature=0.5, threshold=0.5)
    sv, sm = similarity(feat_s, feat_w, 0.5), similarity(feat_s, peer_feat, 0.5)
    classes = refurbish(onehot, w, peer_probs).argmax(1)
    cross = (confident_pg_loss(logits_s, logits_w.softmax(1), 0.5) + acl_loss(sv) +
             mimicry_loss(sv) + soft_cross_entropy(logits_s, peer_probs) +
             cclrl_loss(sm, classes) + mimicry_loss(sm))
    expected = (w * soft_cross_entropy(logits_s, onehot) + (1 - w) / 2 * cross).mean() + div
    assert out['loss'].item() == pytest.approx(expected.item(), rel=1e-6)
    with pytest.raises(ValueError, match='unknown CCL loss terms'):
        ccl_losses(*args, trust=w, weights=dict(cvl=0))


def test_ccl_gradients_reach_only_the_trained_network():
    args = [a.clone().requires_grad_(True) for a in _ccl_inputs()]
    out = ccl_losses(*args, trust=torch.full((6, ), 0.3))
    out['loss'].backward()
    logits_w, logits_s, feat_w, feat_s, peer_probs, peer_feat, _ = args
    assert feat_s.grad.abs().sum() > 0 and logits_s.grad.abs().sum() > 0
    assert peer_feat.grad is None and peer_probs.grad is None  # the peer is a target
    assert logits_w.grad is None  # the weak prediction only selects and weighs (Eq. 7)
