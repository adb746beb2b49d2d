import math

import numpy as np
import pytest
import torch

from mmnoisy.selection import (DegenerateInputError, check_signal_names, compute_signals,
                               gmm_clean_posterior, normalise_losses, selection_quality)

LOGITS = torch.tensor([[3.0, 1.0, 0.5, -1.0],
                       [0.0, 2.0, 1.0, 1.5]])
LABELS = torch.tensor([0, 0])


def test_logit_signals_against_hand_computed_values():
    out = compute_signals(['loss', 'margin', 'topk_margin', 'pred', 'confidence', 'margin_sign'],
                          LOGITS, LABELS, topk=1)
    lse0 = math.log(math.exp(3) + math.exp(1) + math.exp(0.5) + math.exp(-1))
    lse1 = math.log(1 + math.exp(2) + math.e + math.exp(1.5))
    assert torch.allclose(out['loss'], torch.tensor([lse0 - 3, lse1 - 0]))
    # Eq. 5: label logit - largest other logit
    assert torch.allclose(out['margin'], torch.tensor([3 - 1.0, 0 - 2.0]))
    # Eq. 6: largest other - mean of the next k (k=1) among the others
    assert torch.allclose(out['topk_margin'], torch.tensor([1.0 - 0.5, 2.0 - 1.5]))
    assert out['pred'].tolist() == [0, 1]
    assert torch.allclose(out['confidence'], torch.tensor([math.exp(3 - lse0),
                                                           math.exp(2 - lse1)]))
    assert out['margin_sign'].tolist() == [1, -1]
    k2 = compute_signals(['topk_margin'], LOGITS, LABELS, topk=2)['topk_margin']
    assert torch.allclose(k2, torch.tensor([1.0 - (0.5 - 1.0) / 2, 2.0 - (1.5 + 1.0) / 2]))


def test_hyperspherical_signals_against_hand_computed_values():
    # features at known angles to three unit class weights
    weights = torch.eye(3) * torch.tensor([[2.0], [5.0], [0.5]])  # norms must not matter
    feats = torch.tensor([[1.0, 0.0, 0.0],     # on class 0
                          [1.0, 1.0, 0.0]])    # 45 deg from classes 0 and 1
    labels = torch.tensor([0, 2])
    out = compute_signals(['cos_dist', 'cos_margin', 'cos_topk_margin', 'feature'],
                          torch.zeros(2, 3), labels, feats, weights)
    c = 1 / math.sqrt(2)
    expected = torch.tensor([[0.0, 0.5, 0.5], [(1 - c) / 2, (1 - c) / 2, 0.5]])  # Eq. 11
    assert torch.allclose(out['cos_dist'], expected, atol=1e-6)
    # M~ = d_y - min_{k != y} d_k ; U~ = min other - mean of next k (k=1) others
    assert torch.allclose(out['cos_margin'], torch.tensor([0 - 0.5, 0.5 - (1 - c) / 2]),
                          atol=1e-6)
    assert torch.allclose(out['cos_topk_margin'], torch.tensor([0.0, 0.0]), atol=1e-6)
    assert torch.equal(out['feature'], feats)
    with pytest.raises(ValueError, match='need the features'):
        compute_signals(['cos_margin'], torch.zeros(2, 3), labels)


def test_signal_name_and_topk_checks():
    with pytest.raises(ValueError, match="unknown per-sample signals \\['los'\\]"):
        check_signal_names(['los'])
    with pytest.raises(ValueError, match='at least topk \\+ 2'):
        check_signal_names(['topk_margin'], num_classes=3, topk=2)


def test_gmm_recovers_bimodal_components():
    rng = np.random.default_rng(0)
    clean = rng.normal(0.2, 0.05, 3000)
    noisy = rng.normal(2.0, 0.3, 2000)
    losses = np.concatenate([clean, noisy])
    split = gmm_clean_posterior(losses)
    x = normalise_losses(losses)[0]
    assert split.means[0] == pytest.approx(x[:3000].mean(), abs=0.01)
    assert split.means[1] == pytest.approx(x[3000:].mean(), abs=0.01)
    assert split.weights[0] == pytest.approx(0.6, abs=0.01)
    assert (split.clean_prob[:3000] > 0.99).mean() > 0.99
    assert (split.clean_prob[3000:] < 0.01).mean() > 0.99
    assert split.clean_prob.dtype == np.float32


def test_gmm_averages_normalised_epochs():
    rng = np.random.default_rng(1)
    a = np.concatenate([rng.normal(0.1, 0.02, 500), rng.normal(1.0, 0.1, 500)])
    b = a * 10 + 3  # same ranking, other scale: normalisation makes the rows equal
    split = gmm_clean_posterior(np.stack([a, b]))
    assert np.allclose(split.inputs, normalise_losses(a)[0])


@pytest.mark.parametrize('losses,match', [
    (np.ones(10), 'all losses are equal'),
    (np.array([1.0]), 'at least 2 samples'),
    (np.array([0.1, np.nan, 0.3]), 'NaN or infinite.*sample 1'),
    (np.array([0.1, np.inf, 0.3]), 'NaN or infinite'),
])
def test_gmm_refuses_degenerate_input(losses, match):
    with pytest.raises(DegenerateInputError, match=match):
        gmm_clean_posterior(losses)


def test_selection_quality_hand_computed():
    trust = np.array([0.9, 0.8, 0.7, 0.2, 0.1, 0.6])
    is_noisy = np.array([0, 0, 1, 0, 1, 1])
    q = selection_quality(trust, is_noisy, threshold=0.5)
    # trusted: 0,1,2,5 ; clean: 0,1,3 ; trusted & clean: 0,1
    assert q['trusted_fraction'] == pytest.approx(4 / 6)
    assert q['precision'] == pytest.approx(2 / 4)
    assert q['recall'] == pytest.approx(2 / 3)
    assert q['f1'] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    # AUROC: pairs (clean, noisy) where clean scores higher: 0.9,0.8 beat all 3 noisy;
    # 0.2 beats 0.1 only -> (3 + 3 + 1) / 9
    assert q['auroc'] == pytest.approx(7 / 9)
    none = selection_quality(np.zeros(3), np.array([0, 1, 0]))
    assert none['precision'] is None and none['f1'] is None and none['recall'] == 0
    assert selection_quality(trust) == {'trusted_fraction': pytest.approx(4 / 6)}


def test_hyperspherical_topk_margin_distinct_case():
    feats = torch.tensor([[1.0, 0.5, 0.0]])
    cos = torch.tensor([1 / math.sqrt(1.25), 0.5 / math.sqrt(1.25), 0.0])
    d = (1 - cos) / 2
    out = compute_signals(['cos_margin', 'cos_topk_margin'], torch.zeros(1, 3),
                          torch.tensor([2]), feats, torch.eye(3))
    assert out['cos_margin'].item() == pytest.approx((d[2] - d[0]).item(), abs=1e-6)
    assert out['cos_topk_margin'].item() == pytest.approx((d[0] - d[1]).item(), abs=1e-6)
    assert out['cos_topk_margin'].item() < 0  # Eq. 12 needs U~ <= 0 so exp(beta U~) <= 1


def test_numpy_em_matches_sklearn_gaussian_mixture():
    rng = np.random.default_rng(3)
    losses = np.concatenate([rng.gamma(2.0, 0.2, 3000), rng.normal(2.5, 0.7, 1500)])
    ours = gmm_clean_posterior(losses)
    ref = gmm_clean_posterior(losses, backend='sklearn')
    for field in ('means', 'variances', 'weights'):
        assert np.allclose(getattr(ours, field), getattr(ref, field), rtol=1e-9, atol=1e-12)
    assert np.allclose(ours.clean_prob, ref.clean_prob, atol=1e-6)
    # and an overlapping case where EM stops on max_iter rather than tol
    overlap = rng.normal(0, 1, 4000) + (rng.random(4000) < 0.3) * 1.0
    a = gmm_clean_posterior(overlap, tol=0.0)
    b = gmm_clean_posterior(overlap, tol=0.0, backend='sklearn')
    assert np.allclose(a.means, b.means, rtol=1e-9) and np.allclose(a.clean_prob, b.clean_prob,
                                                                      atol=1e-6)
    with pytest.raises(ValueError, match='backend'):
        gmm_clean_posterior(losses, backend='torch')


@pytest.mark.parametrize('names', [['loss', 'margin', 'prob', 'confidence'],
                                   ['cos_dist', 'cos_margin', 'cos_topk_margin', 'feature']])
def test_signals_are_float32_under_autocast(names):
    # a training forward under AMP hands over half-precision logits and features; the signals
    # are still computed in float32 (bfloat16 results could not even be stored by numpy)
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 5, generator=g).bfloat16()
    feats = torch.randn(6, 8, generator=g).bfloat16()
    weights = torch.randn(5, 8, generator=g)
    labels = torch.tensor([0, 1, 2, 3, 4, 0])
    with torch.autocast('cpu', dtype=torch.bfloat16):
        got = compute_signals(names, logits, labels, feats, weights)
    want = compute_signals(names, logits.float(), labels, feats.float(), weights)
    for name in names:
        assert got[name].dtype == torch.float32, name
        assert torch.equal(got[name], want[name]), name
        got[name].numpy()
