"""One training step of DivideMix and of UNICON against references written here from the
papers' equations (no BatchNorm, plain SGD, so train and eval mode compute the same and the
update is -lr * gradient): the learners' step must move the weights exactly as the reference.

DivideMix (Li et al. 2020, Sec. 3.2 and Algorithm 1): label co-refinement
y_bar = w y + (1 - w) p_bar over M = 2 augmentations, sharpened with T; co-guessing of the
unlabelled samples from both networks' predictions; MixMatch with lambda' = max(lambda,
1 - lambda) over the shuffled concatenation of labelled and unlabelled inputs;
L = L_x + lambda_u L_u + lambda_r L_reg (Eq. 9-12). UNICON (Karim et al. 2022, Sec. 3):
the same targets from the weak views, MixMatch on the strong views, plus lambda_c times the
unsupervised contrastive loss of the unlabelled samples' strong-view projections.

The mixup draws (lambda, the shuffle) are the learner's documented per-network,
per-iteration draws; the reference takes them as given.
"""
import copy

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

import mmnoisy.all_modules  # noqa: F401
from mmnoisy.engine.optimizers import CoTrainingOptimWrapperConstructor
from mmnoisy.models.interfaces import Selection
from mmnoisy.registry import MODELS

init_default_scope('mmnoisy')
C, B, LR = 4, 8, 0.1
NO_BN = dict(type='NoisyClassifier',
             backbone=dict(type='SmallCNN', in_channels=1, widths=(6, 8), norm=False),
             neck=dict(type='GlobalAveragePooling'),
             head=dict(type='LinearClsHead', num_classes=C, in_channels=8))


def build(kind, **kwargs):
    torch.manual_seed(0)
    cfg = dict(type=kind, network=kwargs.pop('network', NO_BN), warmup_epochs=1,
               data_preprocessor=dict(num_classes=C, mean=[0.0], std=[1.0]), **kwargs)
    model = MODELS.build(cfg)
    wrappers = CoTrainingOptimWrapperConstructor(
        dict(optimizer=dict(type='SGD', lr=LR, momentum=0.0, weight_decay=0.0)))(model)
    return model, wrappers


def two_stream_batch(codes, views, seed=0):
    g = torch.Generator().manual_seed(seed)
    imgs = [torch.randint(0, 255, (len(codes), 1, 6, 6), generator=g).to(torch.uint8)
            for _ in range(views)]
    samples = [DataSample(metainfo=dict(sample_idx=i, stream=c)).set_gt_label(i % C)
               for i, c in enumerate(codes)]
    return dict(inputs=[list(v) for v in imgs], data_samples=samples)


def sharpen(p, t):
    p = p ** (1 / t)
    return p / p.sum(1, keepdim=True)


def mixmatch(x_lab, x_unl, t_lab, t_unl, lam, perm):
    """MixMatch: W = shuffle(concat(X, U)); X' = MixUp(X, W[:|X|]), U' = MixUp(U, W[|X|:])."""
    xs, ts = torch.cat([x_lab, x_unl]), torch.cat([t_lab, t_unl])
    return lam * xs + (1 - lam) * xs[perm], lam * ts + (1 - lam) * ts[perm]


def semi_supervised_loss(logits, targets, n_lab, lambda_u):
    """L_x (soft CE, mean over X') + lambda_u L_u (squared error, mean over U' and classes)
    + L_reg = sum_c (1/C) log((1/C) / mean_x' p_c(x'))."""
    probs = logits.softmax(1)
    lx = -(targets[:n_lab] * logits[:n_lab].log_softmax(1)).sum(1).mean()
    lu = ((probs[n_lab:] - targets[n_lab:]) ** 2).mean()
    prior = torch.full((C, ), 1.0 / C)
    reg = (prior * (prior / probs.mean(0)).log()).sum()
    return lx + lambda_u * lu + reg


def nt_xent(z1, z2, tau):
    """SimCLR's loss over 2n anchors: -log exp(s(i, j(i)) / tau) / sum_{k != i} exp(s(i, k) / tau)."""
    z = torch.nn.functional.normalize(torch.cat([z1, z2]), dim=1)
    n = len(z1)
    total = 0
    for i in range(2 * n):
        j = (i + n) % (2 * n)
        sims = torch.stack([z[i] @ z[k] / tau for k in range(2 * n) if k != i])
        total = total - (z[i] @ z[j] / tau - torch.logsumexp(sims, 0))
    return total / (2 * n)


@torch.no_grad()
def targets(net, peer, x1, x2, y, w, lab, unl, t=0.5):
    """Label co-refinement of the labelled rows (w y + (1 - w) of the network's mean over the
    two views) and co-guessing of the unlabelled ones (both networks, both views), sharpened."""
    p = lambda m, x: m(x, mode='tensor').softmax(1)  # noqa: E731
    wl = w[lab, None]
    t_lab = sharpen(wl * y[lab] + (1 - wl) * (p(net, x1[lab]) + p(net, x2[lab])) / 2, t)
    t_unl = sharpen((p(net, x1[unl]) + p(net, x2[unl]) + p(peer, x1[unl]) +
                     p(peer, x2[unl])) / 4, t)
    return t_lab, t_unl


def sgd_step(net, loss):
    grads = torch.autograd.grad(loss, list(net.parameters()))
    return [p.detach() - LR * g for p, g in zip(net.parameters(), grads)]


def draws(model, n):
    """The learner's mixup draws for net1 at this iteration (lambda', shuffle)."""
    lam = float(model.rng('net1').beta(model.alpha, model.alpha))
    perm = torch.randperm(n, generator=model.torch_generator('cpu', 'net1'))
    return max(lam, 1 - lam), perm


def test_dividemix_step_equals_the_papers_equations():
    model, wrappers = build('DivideMix', lambda_u=25, temperature=0.5, alpha=4.0)
    w = torch.tensor([0.9, 0.2, 0.7, 0.8, 0.6, 0.1, 0.3, 0.4])
    for n in model.networks:
        model.set_selection(n, Selection(trust=w.clone()))
    model.set_progress(epoch=30, iteration=7, progress=30.0, seed=3)  # ramp at full
    codes = [0, 0, 0, 0, 0, 1, 1, 1]  # net1: labelled rows 0-4, unlabelled 5-7
    data = two_stream_batch(codes, views=2)
    x1, x2 = model.data_preprocessor(copy.deepcopy(data), True)['inputs']
    y = torch.nn.functional.one_hot(torch.arange(B) % C, C).float()
    net, peer = copy.deepcopy(model.net1), copy.deepcopy(model.net2)
    lab, unl = torch.arange(5), torch.arange(5, 8)
    t_lab, t_unl = targets(net, peer, x1, x2, y, w, lab, unl)
    lam, perm = draws(model, 2 * B)
    mixed_x, mixed_t = mixmatch(torch.cat([x1[lab], x2[lab]]), torch.cat([x1[unl], x2[unl]]),
                                torch.cat([t_lab, t_lab]), torch.cat([t_unl, t_unl]), lam, perm)
    loss = semi_supervised_loss(net(mixed_x, mode='tensor'), mixed_t, 10, 25.0)
    expected = sgd_step(net, loss)
    peer_before = [q.detach().clone() for q in model.net2.parameters()]
    log = model.train_step(data, wrappers)
    assert log['net1.loss'].item() == pytest.approx(loss.item(), rel=1e-5)
    for got, want in zip(model.net1.parameters(), expected):
        torch.testing.assert_close(got.detach(), want, atol=1e-6, rtol=1e-5)
    assert all(torch.equal(a, b) for a, b in zip(model.net2.parameters(), peer_before))


def test_unicon_step_equals_the_papers_equations():
    network = dict(NO_BN, projector=dict(out_channels=5, norm=False))
    model, wrappers = build('UNICON', network=network, lambda_u=30, lambda_c=0.025,
                            contrast_temperature=0.05, temperature=0.5, alpha=4.0)
    w = torch.tensor([0.9, 0.6, 0.7, 0.8, 1.0, 0.5, 0.3, 0.4])
    selected = torch.tensor([True] * 4 + [False] * 4)
    for n in model.networks:
        model.set_selection(n, Selection(trust=w.clone(), labelled=selected.clone()))
    model.set_progress(epoch=40, iteration=11, progress=40.0, seed=5)
    codes = [0, 0, 0, 0, 1, 1, 1, 1]
    data = two_stream_batch(codes, views=4)
    x1, x2, s1, s2 = model.data_preprocessor(copy.deepcopy(data), True)['inputs']
    y = torch.nn.functional.one_hot(torch.arange(B) % C, C).float()
    net, peer = copy.deepcopy(model.net1), copy.deepcopy(model.net2)
    lab, unl = torch.arange(4), torch.arange(4, 8)
    t_lab, t_unl = targets(net, peer, x1, x2, y, w, lab, unl)
    lam, perm = draws(model, 2 * B)
    mixed_x, mixed_t = mixmatch(torch.cat([s1[lab], s2[lab]]), torch.cat([s1[unl], s2[unl]]),
                                torch.cat([t_lab, t_lab]), torch.cat([t_unl, t_unl]), lam, perm)
    loss = semi_supervised_loss(net(mixed_x, mode='tensor'), mixed_t, 8, 30.0)
    _, _, z1 = net(s1[unl], mode='proj')
    _, _, z2 = net(s2[unl], mode='proj')
    loss = loss + 0.025 * nt_xent(z1, z2, 0.05)
    expected = sgd_step(net, loss)
    log = model.train_step(data, wrappers)
    assert log['net1.loss'].item() == pytest.approx(loss.item(), rel=1e-5)
    for got, want in zip(model.net1.parameters(), expected):
        torch.testing.assert_close(got.detach(), want, atol=1e-6, rtol=1e-5)


def test_the_reference_losses_by_hand():
    """The helpers above on numbers worked by hand."""
    assert np.allclose(sharpen(torch.tensor([[0.25, 0.75]]), 0.5).numpy(), [[0.1, 0.9]])
    logits = torch.zeros(2, C)
    targets = torch.full((2, C), 1.0 / C)
    # uniform predictions: L_x = log C, L_u = 0, L_reg = 0
    assert semi_supervised_loss(logits, targets, 1, 10.0).item() == pytest.approx(np.log(C))
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    # each anchor's positive is identical (similarity 1), its two negatives orthogonal (0):
    # -log(e^{1/t} / (e^{1/t} + 2 e^0))
    t = 0.5
    want = -np.log(np.exp(1 / t) / (np.exp(1 / t) + 2))
    assert nt_xent(z, z, t).item() == pytest.approx(want, rel=1e-6)


def test_targets_use_one_forward_per_view_and_set_as_the_code():
    """With BatchNorm in train mode the code's targets come from four forwards (unlabelled
    view 1, view 2, labelled view 1, view 2), each normalised by its own batch statistics,
    and BN's running statistics move four times; 'joint' is one forward of all rows."""
    from mmnoisy.models.learners.co_training import take_rows
    with_bn = dict(NO_BN, backbone=dict(NO_BN['backbone'], norm=True))
    for mode, updates in (('separate', 4), ('joint', 1)):
        model, _ = build('DivideMix', network=with_bn, target_forwards=mode)
        model.train()
        g = torch.Generator().manual_seed(1)
        x1, x2 = torch.rand(8, 1, 6, 6, generator=g), torch.rand(8, 1, 6, 6, generator=g)
        lab = torch.tensor([True, False] * 4)
        y = torch.nn.functional.one_hot(torch.arange(8) % C, C).float()
        w = torch.full((8, ), 0.5)
        ref = copy.deepcopy(model.net1)
        with torch.no_grad():
            p = lambda x: ref(x, mode='tensor').softmax(1)  # noqa: E731
            if mode == 'separate':
                u1, u2 = p(x1[~lab]), p(x2[~lab])
                l1, l2 = p(x1[lab]), p(x2[lab])
            else:
                u1, u2, l1, l2 = p(torch.cat([x1[~lab], x2[~lab], x1[lab], x2[lab]])).split(4)
        bn = [m for m in model.net1.modules() if isinstance(m, torch.nn.BatchNorm2d)][0]
        before = int(bn.num_batches_tracked)
        px, pu = model.co_guess('net1', [x1, x2], lab, y, w)
        assert int(bn.num_batches_tracked) - before == updates
        want_px = sharpen(0.5 * take_rows(y, lab) + 0.5 * (l1 + l2) / 2, 0.5)
        torch.testing.assert_close(px, want_px, atol=1e-6, rtol=1e-5)
        peer = model.eval_forward('net2', torch.cat([x1[~lab], x2[~lab]])).softmax(1).chunk(2)
        torch.testing.assert_close(pu, sharpen((u1 + u2 + peer[0] + peer[1]) / 4, 0.5),
                                   atol=1e-6, rtol=1e-5)
