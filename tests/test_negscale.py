"""NegScale: the class taxonomy and pLCA (Eq. 1), SNOP (Eq. 2-6), DCSA (Eq. 7-8), the plug-in
on every learner, its configs, the similarity statistic and its tool."""
import itertools
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.datasets.categories import CIFAR10_CATEGORIES, CIFAR100_CATEGORIES

import mmnoisy.all_modules  # noqa: F401
from mmnoisy.taxonomy.trees import CIFAR100_COARSE
from mmnoisy.evaluation.similarity import pair_similarity_stats
from mmnoisy.models.losses.negscale import (dcsa_loss, negscale_loss, plca_pairs,
                                            random_negative_pairs, snop_loss)
from mmnoisy.models.plugins import NegScale
from mmnoisy.registry import MODELS
from mmnoisy.taxonomy import ClassTaxonomy, build_taxonomy
from mmnoisy.taxonomy import trees
from tests.conftest import RANK_CHECK_HOOKS, ROOT, dist_train, run_tool, write_cifar10
from tests.test_co_training import set_trust

init_default_scope('mmnoisy')

# a hand-drawn tree of uneven depth:
#   root -> A -> A1 -> {a, b}
#        -> A -> c
#        -> B -> d
HAND = {'A': {'A1': ['a', 'b'], 'c': None}, 'B': ['d']}


# -------------------------------------------------------------------------- taxonomy
def test_plca_matrix_of_a_hand_drawn_tree():
    tax = ClassTaxonomy.from_nested(HAND, classes=['a', 'b', 'c', 'd'])
    assert tax.depth == {'root': 0, 'A': 1, 'B': 1, 'A1': 2, 'a': 3, 'b': 3, 'c': 2, 'd': 2}
    expected = np.array([
        # a: b share A1 (1+1); c shares A (2+1); d shares root (3+2)
        [0, 2, 3, 5],
        [2, 0, 3, 5],
        [3, 3, 0, 4],  # c-d: root (2+2)
        [5, 5, 4, 0],
    ])
    np.testing.assert_array_equal(tax.plca_matrix(), expected)
    assert tax.lca('a', 'c') == 'A' and tax.plca('b', 'd') == 5
    assert tax.levels() == [2, 3, 4, 5]
    # another label order permutes the matrix
    np.testing.assert_array_equal(tax.plca_matrix(['d', 'a']), [[0, 5], [5, 0]])


def test_taxonomy_from_a_parent_child_file(tmp_path):
    path = tmp_path / 'tree.txt'
    path.write_text('# a WordNet-like tree\nroot\tA\nA\tA1\nA1\ta\nA1\tb\nA\tc\n'
                    'root B\nB\tguinea pig  # a name with a space needs a tab\n\n')
    tax = ClassTaxonomy.from_file(str(path), classes=['a', 'b', 'c', 'guinea pig'])
    np.testing.assert_array_equal(tax.plca_matrix()[:, 3], [5, 5, 4, 0])
    same = build_taxonomy(dict(source=str(path), classes=['a', 'b', 'c', 'guinea pig']))
    np.testing.assert_array_equal(same.plca_matrix(), tax.plca_matrix())


@pytest.mark.parametrize('edges, match', [
    ([('root', 'A'), ('B', 'C'), ('C', 'B')], "cycle: 'B' -> 'C' -> 'B'|cycle: 'C' -> 'B' -> 'C'"),
    ([('A', 'B'), ('B', 'C'), ('C', 'A')], 'cycle'),
    ([('x', 'x')], 'cycle'),
    ([('root', 'A'), ('root', 'B'), ('A', 'c'), ('B', 'c')], "'c' has two parents"),
    ([('r1', 'a'), ('r2', 'b')], 'exactly one root, found 2'),
    ([], 'no edges'),
])
def test_bad_trees_are_refused(edges, match):
    with pytest.raises(ValueError, match=match):
        ClassTaxonomy(edges)


def test_taxonomy_missing_classes_and_bad_sources(tmp_path):
    tax = ClassTaxonomy.from_nested(HAND)
    with pytest.raises(ValueError, match=r"lacks 2 of the 3 classes: \['x', 'y'\]"):
        tax.plca_matrix(['a', 'x', 'y'])
    with pytest.raises(ValueError, match='give the classes'):
        tax.plca_matrix()
    with pytest.raises(ValueError, match='unknown built-in taxonomy'):
        build_taxonomy('cifar11')
    with pytest.raises(FileNotFoundError, match='does not exist'):
        build_taxonomy(str(tmp_path / 'none.txt'))
    bad = tmp_path / 'bad.txt'
    bad.write_text('root a b\n')
    with pytest.raises(ValueError, match='bad.txt:1: expected'):
        ClassTaxonomy.from_file(str(bad))


def test_builtin_cifar10_taxonomy():
    tax = build_taxonomy('cifar10')
    assert tax.classes == tuple(CIFAR10_CATEGORIES)
    d = tax.plca_matrix()
    idx = {c: i for i, c in enumerate(tax.classes)}
    assert d[idx['cat'], idx['dog']] == 2 and d[idx['automobile'], idx['truck']] == 2
    assert d[idx['airplane'], idx['ship']] == 4 and d[idx['bird'], idx['cat']] == 4
    assert d[idx['airplane'], idx['cat']] == 6 and d[idx['frog'], idx['truck']] == 6
    # eta_min = 3, eta_max = 5: siblings related, vehicle-animal pairs unrelated
    assert ((d > 0) & (d <= 3)).sum() == 2 * (1 + 6)  # automobile-truck, 4 mammals: 6 pairs
    assert (d > 5).sum() == 2 * 4 * 6


def test_builtin_cifar100_trees_follow_the_dataset():
    supers = trees.CIFAR100_SUPERCLASSES
    assert sorted(supers) == sorted(CIFAR100_COARSE)
    fine = [c for members in supers.values() for c in members]
    assert sorted(fine) == sorted(CIFAR100_CATEGORIES) and len(set(fine)) == 100
    assert sorted(s for g in trees.CIFAR100_GROUPS.values() for s in g) == sorted(supers)
    grouped = build_taxonomy('cifar100')
    assert grouped.classes == tuple(CIFAR100_CATEGORIES) and grouped.levels() == [2, 4, 6]
    d = grouped.plca_matrix()
    idx = {c: i for i, c in enumerate(grouped.classes)}
    assert d[idx['beaver'], idx['whale']] == 2        # same superclass
    assert d[idx['beaver'], idx['shark']] == 4        # same group (living)
    assert d[idx['beaver'], idx['rocket']] == 6       # living vs artefacts
    flat = build_taxonomy('cifar100_superclasses')
    assert flat.levels() == [2, 4]
    for name in ('animal10n', 'webvision_mini'):
        tax = build_taxonomy(name)
        assert tax.levels() == [2, 4, 6], name
    web = build_taxonomy('webvision_mini')
    assert len(web.classes) == 50 and web.classes[0] == 'tench' and \
        web.classes[-1] == 'African crocodile'


def test_cifar100_superclasses_read_from_the_dataset_files(cifar100_root):
    # the fake dataset puts fine class i under superclass i % 20 (not the real assignment)
    tax = ClassTaxonomy.cifar100(data_root=cifar100_root, grouped=False)
    assert tax.classes == tuple(f'f{i}' for i in range(100))
    d = tax.plca_matrix()
    assert d[0, 20] == 2 and d[0, 1] == 4
    assert tax.parent['f21'] == CIFAR100_COARSE[1]
    with pytest.raises(FileNotFoundError, match='cifar-100-python'):
        ClassTaxonomy.cifar100(data_root=cifar100_root + '/missing')


# ---------------------------------------------------------------------- pair selection
def test_plca_pairs_and_random_selection():
    dist = torch.as_tensor(build_taxonomy('cifar10').plca_matrix())
    # airplane, automobile, truck, cat, dog, cat
    labels = torch.tensor([0, 1, 9, 3, 5, 3])
    related, negative = plca_pairs(labels, dist, 3, 5)
    assert set(map(tuple, related.nonzero().tolist())) == {(1, 2), (3, 4), (4, 5)}
    assert set(map(tuple, negative.nonzero().tolist())) == {
        (i, j) for i in range(3) for j in range(3, 6)}
    with pytest.raises(ValueError, match='eta_min'):
        plca_pairs(labels, dist, 6, 5)
    g = torch.Generator().manual_seed(0)
    rand = random_negative_pairs(labels, 9, g)
    assert int(rand.sum()) == 9 and not rand.tril().any()
    i, j = rand.nonzero(as_tuple=True)
    assert (labels[i] != labels[j]).all()
    again = random_negative_pairs(labels, 9, torch.Generator().manual_seed(0))
    assert torch.equal(rand, again)
    # never more pairs than there are differently-labelled ones
    assert int(random_negative_pairs(labels, 1000).sum()) == 15 - 1


# ------------------------------------------------------------------------------- SNOP
def _mask(b, pairs):
    m = torch.zeros(b, b, dtype=torch.bool)
    for i, j in pairs:
        m[min(i, j), max(i, j)] = True
    return m


def test_snop_is_zero_for_orthonormal_difference_vectors():
    f = torch.eye(4)
    neg = _mask(4, [(0, 1), (2, 3)])     # (e1 - e2)/sqrt2 and (e3 - e4)/sqrt2: orthonormal
    glob, local = snop_loss(f, neg, torch.zeros(4))
    assert glob.item() == pytest.approx(0, abs=1e-6) and local.item() == 0


def test_snop_global_and_local_on_hand_computed_cases():
    f = torch.eye(3)
    neg = _mask(3, [(0, 1), (0, 2)])     # u1 . u2 = 1/2: F F^T - I = [[0, .5], [.5, 0]]
    glob, _ = snop_loss(f, neg, torch.zeros(3), reduction='sum')
    assert glob.item() == pytest.approx(0.5, abs=1e-6)
    glob, _ = snop_loss(f, neg, torch.zeros(3), reduction='mean')
    assert glob.item() == pytest.approx(0.5 / 4, abs=1e-6)
    # local: (f0 . f1)^2 = 1/2 with w = (1 - 0.5)(1 - 0.8) = 0.1
    f = torch.tensor([[2.0, 0.0], [1.0, 1.0]])
    _, local = snop_loss(f, _mask(2, [(0, 1)]), torch.tensor([0.5, 0.8]), reduction='sum')
    assert local.item() == pytest.approx(0.05, abs=1e-6)


def test_snop_matches_the_definition_on_a_random_batch():
    g = torch.Generator().manual_seed(1)
    f = torch.randn(16, 6, generator=g, dtype=torch.float64)
    labels = torch.randint(0, 10, (16, ), generator=g)
    conf = torch.rand(16, generator=g, dtype=torch.float64)
    dist = torch.as_tensor(build_taxonomy('cifar10').plca_matrix())
    _, neg = plca_pairs(labels, dist, 3, 5)
    glob, local = snop_loss(f, neg, conf, reduction='sum')
    fn = F.normalize(f, dim=1)
    i, j = neg.nonzero(as_tuple=True)
    u = F.normalize(fn[i] - fn[j], dim=1)                         # Eq. 2
    ref_glob = ((u @ u.t() - torch.eye(len(u), dtype=u.dtype))**2).sum()   # Eq. 3
    ref_local = ((1 - conf[i]) * (1 - conf[j]) * (fn[i] * fn[j]).sum(1)**2).sum()  # Eq. 4-5
    assert glob.item() == pytest.approx(ref_glob.item(), rel=1e-9)
    assert local.item() == pytest.approx(ref_local.item(), rel=1e-9)
    assert glob.item() > 0 and local.item() > 0


def test_no_pairs_gives_zero_with_a_graph_not_nan():
    f = torch.randn(4, 3, requires_grad=True)
    logits = torch.randn(4, 10)
    dist = torch.as_tensor(build_taxonomy('cifar10').plca_matrix())
    out = negscale_loss(f, logits, torch.tensor([3, 3, 5, 5]), dist)   # cats and dogs only
    assert out['num_neg'].item() == 0 and out['snop'].item() == 0
    assert out['num_sim'].item() == 4 and torch.isfinite(out['loss'])
    out = negscale_loss(f, logits, torch.tensor([0, 0, 0, 0]), dist)    # one class
    assert out['loss'].item() == 0 and out['loss'].requires_grad
    out['loss'].backward()
    assert torch.isfinite(f.grad).all()


# ------------------------------------------------------------------------------- DCSA
def test_dcsa_zero_under_the_bound_and_hand_computed_above_it():
    s = 0.9
    f0 = torch.tensor([1.0, 0.0, 0.0])
    f1 = torch.tensor([s, math.sqrt(1 - s * s), 0.0])         # s_01 = 0.9, related
    f2 = torch.tensor([0.6, 0.0, 0.8])                       # s_02 = 0.6, negative anchor of 0
    feats = torch.stack([f0, f1, f2])
    related, negative = _mask(3, [(0, 1)]), _mask(3, [(0, 2)])
    # e_0 = 0.6, e_1 = 0 (no negative partner): delta = 0.3, bound 0.7: (0.9 - 0.7)^2
    assert dcsa_loss(feats, related, negative, 'sum').item() == pytest.approx(0.04, abs=1e-6)
    # an anchor orthogonal to sample 0: delta = 0, bound 1: nothing above it
    feats0 = torch.stack([f0, f1, torch.tensor([0.0, 0.0, 1.0])])
    assert dcsa_loss(feats0, related, negative, 'sum').item() == 0
    # the anchored maximum: the strongest of several anchors counts
    f3 = torch.tensor([0.8, 0.0, 0.6])
    feats = torch.stack([f0, f1, f2, f3])
    loss = dcsa_loss(feats, _mask(4, [(0, 1)]), _mask(4, [(0, 2), (0, 3)]), 'sum')
    assert loss.item() == pytest.approx((0.9 - (1 - 0.4))**2, abs=1e-6)
    # mean divides by the number of related pairs; pair (2, 3): s = 0.96, e_2 = s_20 = 0.6,
    # e_3 = s_30 = 0.8, so delta = 0.7 and the bound is 0.3
    two = dcsa_loss(feats, _mask(4, [(0, 1), (2, 3)]), _mask(4, [(0, 2), (0, 3)]), 'mean')
    assert two.item() == pytest.approx(((0.9 - 0.6)**2 + (0.96 - 0.3)**2) / 2, abs=1e-6)


def test_gradients_flow_to_the_features():
    g = torch.Generator().manual_seed(0)
    f = torch.rand(12, 5, generator=g).requires_grad_()     # non-negative, as after ReLU
    labels = torch.tensor([0, 1, 9, 3, 5, 4, 7, 0, 1, 3, 5, 8])
    dist = torch.as_tensor(build_taxonomy('cifar10').plca_matrix())
    out = negscale_loss(f, torch.randn(12, 10, generator=g), labels, dist)
    assert out['snop'].item() > 0 and out['dcsa'].item() > 0
    out['loss'].backward()
    assert f.grad.abs().sum() > 0
    # one SGD step lowers the loss
    with torch.no_grad():
        f2 = f - 0.1 * f.grad
    assert negscale_loss(f2, torch.randn(12, 10), labels, dist)['loss'] < out['loss']


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_amp_features_give_the_float32_loss(dtype):
    # early in training the features are nearly identical: 1 / ||f_i - f_j||^2 is huge, and
    # the Gram matrix and its products in float16 (AMP) overflowed into NaN
    g = torch.Generator().manual_seed(0)
    f = torch.rand(1, 16, generator=g) + 1e-3 * torch.rand(12, 16, generator=g)
    f = f.to(dtype).requires_grad_()
    labels = torch.tensor([0, 1, 9, 3, 5, 4, 7, 0, 1, 3, 5, 8])
    dist = torch.as_tensor(build_taxonomy('cifar10').plca_matrix())
    logits = torch.randn(12, 10, generator=g).to(dtype)
    with torch.autocast('cpu', dtype=dtype):
        got = negscale_loss(f, logits, labels, dist)
    want = negscale_loss(f.detach().float(), logits.float(), labels, dist)
    assert got['loss'].dtype == torch.float32 and torch.isfinite(got['loss'])
    assert got['loss'].item() == want['loss'].item() > 0
    got['loss'].backward()
    assert torch.isfinite(f.grad).all() and f.grad.dtype == dtype


def test_lambda_and_mu_weight_the_total():
    f = torch.rand(10, 4, generator=torch.Generator().manual_seed(3))
    labels, logits = torch.arange(10), torch.zeros(10, 10)
    dist = torch.as_tensor(build_taxonomy('cifar10').plca_matrix())
    base = negscale_loss(f, logits, labels, dist)
    both = negscale_loss(f, logits, labels, dist, lambda_snop=2.0, mu_dcsa=0.5)
    assert both['loss'].item() == pytest.approx(
        2 * base['snop'].item() + 0.5 * base['dcsa'].item(), rel=1e-6)


# ---------------------------------------------------------------------------- plug-in
def test_plugin_bad_input():
    with pytest.raises(ValueError, match=r'eta_min \(6\) must be <= eta_max \(5\)'):
        NegScale('cifar10', eta_min=6, eta_max=5)
    with pytest.raises(ValueError, match='no pair of classes has pLCA > eta_max=5'):
        NegScale('cifar100_superclasses')
    NegScale('cifar100_superclasses', eta_min=3, eta_max=3)   # works with a lower eta_max
    with pytest.raises(ValueError, match='lacks 1 of the 10 classes'):
        NegScale('cifar10', classes=list(CIFAR10_CATEGORIES[:9]) + ['zebra'])
    with pytest.raises(ValueError, match='needs the classes in label order'):
        NegScale(dict(source=HAND))
    with pytest.raises(ValueError, match="selection must be 'plca' or 'random'"):
        NegScale('cifar10', selection='nearest')
    with pytest.raises(ValueError, match='reduction'):
        NegScale('cifar10', reduction='max')
    net = dict(type='NoisyClassifier', backbone=dict(type='SmallCNN', widths=(8, )),
               neck=dict(type='GlobalAveragePooling'),
               head=dict(type='LinearClsHead', num_classes=4, in_channels=8),
               aux_losses=[dict(type='NegScale', taxonomy='cifar10')])
    with pytest.raises(ValueError, match='NegScale covers 10 classes but the model head has '
                       'num_classes=4'):
        MODELS.build(net)


NETWORK = dict(type='NoisyClassifier', backbone=dict(type='SmallCNN', widths=(8, 16)),
               neck=dict(type='GlobalAveragePooling'),
               head=dict(type='LinearClsHead', num_classes=10, in_channels=16))


def _batch(b=16, views=3):
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(0)
    imgs = [torch.randint(0, 255, (b, 3, 8, 8), generator=g).to(torch.uint8)
            for _ in range(views)]
    samples = [DataSample(metainfo=dict(sample_idx=i)).set_gt_label(i % 10) for i in range(b)]
    return dict(inputs=[list(v) for v in imgs], data_samples=samples)


@pytest.mark.parametrize('kind', ['RoLR', 'DivideMix', 'CCL', 'CoTeaching',
                                  'DivideMix_ccl'])
def test_plugin_attaches_to_every_learner(kind):
    from mmnoisy.engine.optimizers import CoTrainingOptimWrapperConstructor
    cfg = {'DivideMix_ccl': dict(type='DivideMix', ccl=dict())}.get(kind, dict(type=kind))
    results = {}
    for aux in (None, [dict(type='NegScale', taxonomy='cifar10')]):
        torch.manual_seed(0)
        model = MODELS.build(dict(cfg, network=NETWORK, warmup_epochs=0, aux_losses=aux,
                                  data_preprocessor=dict(num_classes=10, mean=[0.0] * 3,
                                                         std=[255.0] * 3)))
        set_trust(model, {n: torch.linspace(0, 1, 16) for n in model.networks})
        wrappers = CoTrainingOptimWrapperConstructor(
            dict(optimizer=dict(type='SGD', lr=0.1)))(model)
        model.set_progress(1, 5, 1.0, 0)
        log = model.train_step(_batch(), wrappers)
        results[aux is None] = (log, torch.cat([p.detach().flatten()
                                                for p in model.net1.parameters()]))
    log, weights = results[False]
    for name in ('net1', 'net2'):
        assert log[f'{name}.negscale.num_neg'] > 0 and log[f'{name}.negscale.snop'] > 0
        assert f'{name}.negscale.dcsa' in log
    assert not any('negscale' in k for k in results[True][0])
    # the plug-in changes what the network learns
    assert not torch.allclose(weights, results[True][1])


def test_plugin_on_a_single_network_classifier():
    from mmpretrain.structures import DataSample
    torch.manual_seed(0)
    model = MODELS.build(dict(NETWORK, aux_losses=[dict(type='NegScale', taxonomy='cifar10')]))
    x = torch.rand(10, 3, 8, 8)
    samples = [DataSample().set_gt_label(i) for i in range(10)]
    losses = model.loss(x, samples)
    feats, logits = model.features_and_logits(x)
    ref = negscale_loss(feats, logits, torch.arange(10),
                        torch.as_tensor(build_taxonomy('cifar10').plca_matrix()))
    assert losses['loss_aux'].item() == pytest.approx(ref['loss'].item(), rel=1e-5)
    assert losses['negscale_num_neg'].item() == 24
    assert losses['loss'].item() == pytest.approx(F.cross_entropy(logits, torch.arange(10)).item(),
                                                  rel=1e-5)


# ------------------------------------------------------------------------------ configs
NEGSCALE_CONFIGS = sorted(Path(ROOT).glob('configs/negscale/**/*.py'))


def test_configs_cover_the_paper_tables():
    names = {p.name for p in NEGSCALE_CONFIGS}
    for ds in ('cifar10', 'cifar100'):
        for n in ('sym20', 'sym50', 'sym80', 'pair40', 'ins40'):             # Table 2
            assert f'negscale_rolr_preactresnet18_1xb448-515e_{ds}-{n}.py' in names
        for n in ('sym50', 'sym80'):
            assert f'negscale_dividemix_preactresnet18_1xb64-300e_{ds}-{n}.py' in names  # T6
            for ab in ('wo-snop', 'wo-dcsa', 'random-selection'):          # Table 7
                assert f'negscale-{ab}_rolr_preactresnet18_1xb448-515e_{ds}-{n}.py' in names
    for lab in ('aggre', 'rand1', 'rand2', 'rand3', 'worst'):                # Table 3
        assert f'negscale_rolr_preactresnet18_1xb448-515e_cifar10n-{lab}.py' in names
    assert 'negscale_rolr_preactresnet18_1xb448-515e_cifar100n-noisy.py' in names
    assert 'negscale_rolr_resnet50_1xb128-500e_animal10n-real.py' in names  # Table 4
    assert 'negscale_rolr_resnet50_4xb32-500e_webvision-mini.py' in names   # Table 5


@pytest.mark.parametrize('path', NEGSCALE_CONFIGS, ids=lambda p: p.name)
def test_every_negscale_config_builds_its_plugin(path):
    cfg = Config.fromfile(str(path))
    aux = cfg.model.aux_losses
    assert len(aux) == 1 and aux[0].type == 'NegScale'
    plugin = MODELS.build(aux[0])
    heads = cfg.model.network.head if 'network' in cfg.model else cfg.model.head
    assert plugin.num_classes == heads.num_classes
    name = path.name
    if 'wo-snop' in name:
        assert plugin.lambda_snop == 0 and plugin.mu_dcsa == 1
    elif 'wo-dcsa' in name:
        assert plugin.mu_dcsa == 0 and plugin.lambda_snop == 1
    elif 'random' in name:
        assert plugin.selection == 'random'
    else:
        assert (plugin.lambda_snop, plugin.mu_dcsa, plugin.eta_min, plugin.eta_max,
                plugin.selection) == (1, 1, 3, 5, 'plca')
    base = 'DivideMix' if 'dividemix' in name else ('NoisyClassifier' if '_ce_' in name
                                                    else 'RoLR')
    assert cfg.model.type == base


def test_plugin_added_to_a_ccl_config_builds():
    cfg = Config.fromfile(f'{ROOT}/configs/ccl/ccl_smallcnn_cifar10_sym50.py')
    cfg.model.aux_losses = [dict(type='NegScale', taxonomy='cifar10')]
    cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'CCL' and isinstance(model.aux_losses[0], NegScale)
    plugin = model.aux_losses[0]
    assert plugin.classes == tuple(CIFAR10_CATEGORIES)
    # the pLCA matrix of CIFAR-10's tree (trees.CIFAR10_TREE): automobile-truck 2,
    # cat-airplane 6 (vehicles vs animals), cat-dog 2
    d = plugin.dist('cpu')
    idx = {c: i for i, c in enumerate(CIFAR10_CATEGORIES)}
    assert d[idx['automobile'], idx['truck']] == 2 and d[idx['cat'], idx['dog']] == 2
    assert d[idx['cat'], idx['airplane']] == 6


# --------------------------------------------------------------------------- similarity
def test_pair_similarity_stats_match_all_pairs():
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(40, 5, generator=g)
    labels = torch.randint(0, 10, (40, ), generator=g)
    dist = build_taxonomy('cifar10').plca_matrix()
    stats = pair_similarity_stats(feats, labels, dist, 3, 5)
    fn = F.normalize(feats.double(), dim=1)
    groups = {'same_class': [], 'small_plca': [], 'large_plca': []}
    for i, j in itertools.combinations(range(40), 2):
        d = dist[labels[i], labels[j]]
        s = float(fn[i] @ fn[j])
        if labels[i] == labels[j]:
            groups['same_class'].append(s)
        elif 0 < d <= 3:
            groups['small_plca'].append(s)
        elif d > 5:
            groups['large_plca'].append(s)
    for name, values in groups.items():
        assert stats[name] == pytest.approx(np.mean(values), rel=1e-9)
        assert stats['pairs'][name] == len(values)


def _small_run_opts(root, work_dir, epochs=2):
    return ['--work-dir', str(work_dir), '--cfg-options', f'train_cfg.max_epochs={epochs}',
            'model.warmup_epochs=1', f'param_scheduler.T_max={epochs}',
            f'train_dataloader.dataset.dataset.data_root={root}',
            f'val_dataloader.dataset.data_root={root}', f'test_dataloader.dataset.data_root={root}',
            'train_dataloader.batch_size=32', 'train_dataloader.num_workers=0',
            'val_dataloader.num_workers=0', 'test_dataloader.num_workers=0',
            'default_hooks.logger.interval=1']


@pytest.mark.slow
def test_rolr_negscale_run_and_similarity_tool(tmp_path):
    """RoLR + NegScale through tools/train.py on tiny CIFAR-10 files, then the similarity
    statistic of its checkpoint."""
    root = write_cifar10(str(tmp_path / 'c10'), num_train=64, num_test=30)
    config = 'configs/negscale/negscale_rolr_smallcnn_cifar10_sym50.py'
    proc = run_tool('tools/train.py', config, *_small_run_opts(root, tmp_path / 'wd'))
    log = proc.stdout + proc.stderr
    for key in ('net1.negscale.snop', 'net2.negscale.dcsa', 'net1.negscale.num_neg'):
        assert re.search(key + r': [\d.]+', log), log[-3000:]
    assert (tmp_path / 'wd' / 'epoch_2.pth').is_file()
    out = tmp_path / 'stats.json'
    proc = run_tool('tools/analysis/similarity_stats.py', config,
                    str(tmp_path / 'wd' / 'epoch_2.pth'), '--split', 'train', '--out', str(out),
                    '--cfg-options', f'train_dataloader.dataset.dataset.data_root={root}',
                    f'test_dataloader.dataset.data_root={root}')
    stats = json.loads(out.read_text())
    assert stats['samples'] == 64 and stats['labels'] == 'clean'
    assert sum(stats['pairs'].values()) < 64 * 63 // 2
    for name in ('same_class', 'small_plca', 'large_plca'):
        assert -1 <= stats[name] <= 1
        assert f'mean cosine {stats[name]:.4f}' in proc.stdout


@pytest.mark.slow
def test_a_taxonomy_without_the_dataset_classes_fails_before_training(tmp_path):
    """NoisyLabelHook binds the plug-in to the training dataset's classes: the digits demo
    (classes '0'..'9') with the CIFAR-10 tree stops before any checkpoint."""
    cfg = tmp_path / 'bad.py'
    cfg.write_text(f"_base_ = ['{ROOT}/configs/demo/rolr_smallcnn_digits_sym40.py']\n"
                   "model = dict(aux_losses=[dict(type='NegScale', taxonomy='cifar10')])\n")
    proc = run_tool('tools/train.py', str(cfg), '--work-dir', str(tmp_path / 'wd'), check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert 'NegScale cannot be used with the training dataset' in log, log[-2000:]
    assert "lacks 10 of the 10 classes: ['0', '1'" in log
    assert not list((tmp_path / 'wd').glob('*.pth'))


DIGIT_TREE = ("dict(source=dict(curved=dict(loops=['0', '6', '8', '9'], open=['2', '3', '5']), "
              "straight=dict(lines=['1', '4', '7'])), classes=[str(i) for i in range(10)])")


@pytest.mark.slow
def test_rolr_negscale_distributed_two_cpu_processes(tmp_path):
    """RoLR + NegScale (with a tree given in the config) under dist_train.sh on 2 CPU
    processes: both ranks end with the same networks and tables."""
    cfg = tmp_path / 'rolr_negscale_dist.py'
    cfg.write_text(f"_base_ = ['{ROOT}/configs/demo/rolr_smallcnn_digits_sym40.py']\n"
                   f"model = dict(aux_losses=[dict(type='NegScale', taxonomy={DIGIT_TREE})])\n"
                   + RANK_CHECK_HOOKS)
    log = dist_train(cfg, tmp_path, 'train_cfg.max_epochs=2', 'model.warmup_epochs=1',
                     'param_scheduler.T_max=2')
    assert re.search(r'net1\.negscale\.snop: [\d.]+', log), log[-3000:]
    for rank in (0, 1):
        text = (tmp_path / f'rank_check_{rank}.txt').read_text()
        assert text.strip() == 'net1 equal\nnet2 equal\ntrust equal', text


def test_digits_demo_brings_its_own_tree():
    cfg = Config.fromfile(f'{ROOT}/configs/demo/negscale_rolr_smallcnn_digits_sym40.py')
    plugin = MODELS.build(cfg.model.aux_losses[0])
    assert plugin.classes == tuple(str(i) for i in range(10))
    assert plugin.taxonomy.levels() == [2, 4, 6]
    d = plugin.taxonomy.plca_matrix()
    assert d[0, 6] == 2 and d[0, 2] == 4 and d[0, 1] == 6
