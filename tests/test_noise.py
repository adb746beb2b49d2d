import numpy as np
import pytest

from mmnoisy.noise import (CIFAR10_ASYM_MAP, NoiseConfigError, apply_noise,
                           empirical_transition_matrix, superclass_cycle)

N, C = 20000, 10
LABELS = np.arange(N) % C


def test_symmetric_exact_rate_and_uniform_off_diagonal():
    res = apply_noise(dict(type='symmetric', rate=0.4, seed=3), LABELS, C)
    assert res.noise_rate == pytest.approx(0.4, abs=1e-4)  # exactly round(0.4 N) flipped
    off = res.transition_matrix[~np.eye(C, dtype=bool)]
    assert np.allclose(off, 0.4 / 9, atol=0.016)  # binomial sd 0.0046 at 2000/class
    assert np.allclose(np.diag(res.transition_matrix), 0.6, atol=0.02)
    assert np.allclose(res.transition_matrix.sum(1), 1)


def test_symmetric_including_true_class_realises_r_times_c_minus_1_over_c():
    res = apply_noise(dict(type='symmetric', rate=0.5, seed=0, include_true_class=True),
                      LABELS, C)
    assert res.noise_rate == pytest.approx(0.5 * 9 / 10, abs=0.01)
    # DivideMix convention allows sym 90% (realised 81%)
    res = apply_noise(dict(type='symmetric', rate=0.9, include_true_class=True), LABELS, C)
    assert res.noise_rate == pytest.approx(0.81, abs=0.01)


def test_seed_fixes_noise_and_changes_with_seed():
    a = apply_noise(dict(type='symmetric', rate=0.5, seed=1), LABELS, C).noisy_labels
    b = apply_noise(dict(type='symmetric', rate=0.5, seed=1), LABELS, C).noisy_labels
    c = apply_noise(dict(type='symmetric', rate=0.5, seed=2), LABELS, C).noisy_labels
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_cifar10_asymmetric_map_exactly():
    res = apply_noise(dict(type='asymmetric', rate=0.4, seed=0), LABELS, C)
    changed = res.noisy_labels != LABELS
    # every flip follows the classic map, and unmapped classes never change
    assert np.all(res.noisy_labels[changed] ==
                  np.vectorize(CIFAR10_ASYM_MAP.get)(LABELS[changed]))
    assert set(np.unique(LABELS[changed])) == {2, 3, 4, 5, 9}
    T = res.transition_matrix
    for src, dst in {9: 1, 2: 0, 4: 7, 3: 5, 5: 3}.items():
        assert T[src, dst] == pytest.approx(0.4, abs=0.03)
    for cls in (0, 1, 6, 7, 8):
        assert T[cls, cls] == 1.0


def test_pairflip_goes_to_next_class():
    res = apply_noise(dict(type='pairflip', rate=0.3, seed=0), LABELS, C)
    changed = res.noisy_labels != LABELS
    assert np.all(res.noisy_labels[changed] == (LABELS[changed] + 1) % C)
    assert res.noise_rate == pytest.approx(0.3, abs=1e-4)


def test_superclass_flips_stay_inside_true_superclasses():
    labels = np.arange(10000) % 100
    rng = np.random.default_rng(0)
    fine_to_coarse = rng.permutation(np.repeat(np.arange(20), 5))  # not blocks of 5
    coarse = fine_to_coarse[labels]
    res = apply_noise(dict(type='superclass', rate=0.4, seed=0), labels, 100,
                      coarse_labels=coarse)
    changed = res.noisy_labels != labels
    assert res.noise_rate == pytest.approx(0.4, abs=1e-4)
    assert np.all(fine_to_coarse[res.noisy_labels] == coarse)
    # cyclic: each fine class maps to the next member of its superclass
    target = superclass_cycle(fine_to_coarse)
    assert np.all(res.noisy_labels[changed] == target[labels[changed]])
    members = np.flatnonzero(fine_to_coarse == fine_to_coarse[0])
    assert target[members[-1]] == members[0]


def test_superclass_blocks_of_5_variant():
    labels = np.arange(5000) % 100
    res = apply_noise(dict(type='superclass', rate=0.2, superclasses='blocks_of_5'),
                      labels, 100)
    changed = res.noisy_labels != labels
    assert np.all(res.noisy_labels[changed] // 5 == labels[changed] // 5)
    assert np.all(res.noisy_labels[changed] == labels[changed] // 5 * 5 +
                  (labels[changed] % 5 + 1) % 5)


def test_instance_noise_depends_on_the_image():
    rng = np.random.default_rng(0)
    num = 4000
    images = rng.integers(0, 256, (num, 4, 4, 3), dtype=np.uint8)
    labels = np.arange(num) % C
    res = apply_noise(dict(type='instance', rate=0.4, seed=1), labels, C, images=images)
    assert res.noise_rate == pytest.approx(0.4, abs=0.03)
    changed = res.noisy_labels != labels
    # different images of one class flip to different classes
    cls0 = (labels == 0) & changed
    assert len(np.unique(res.noisy_labels[cls0])) > 1
    # the noisy label is a function of the image: with the same seed (same projections W,
    # same flip rates q, same draws) other images send flipped samples to other classes
    # (a class-conditional generator would give 0 here; raw 0-255 pixels share a large mean
    # component, so targets of different images still agree more often than 1/9)
    images2 = rng.integers(0, 256, images.shape, dtype=np.uint8)
    res2 = apply_noise(dict(type='instance', rate=0.4, seed=1), labels, C, images=images2)
    both = changed & (res2.noisy_labels != labels)
    assert np.mean(res.noisy_labels[both] != res2.noisy_labels[both]) > 0.3
    same = apply_noise(dict(type='instance', rate=0.4, seed=1), labels, C, images=images)
    assert np.array_equal(same.noisy_labels, res.noisy_labels)
    with pytest.raises(NoiseConfigError, match='needs the images'):
        apply_noise(dict(type='instance', rate=0.4), labels, C)


def test_instance_noise_flip_probability_follows_xia():
    # one image per class repeated: every copy has the same softmax, so the flips of one
    # class concentrate on the argmax class of that image's scores
    rng = np.random.default_rng(1)
    base = rng.integers(0, 256, (C, 2, 2, 1), dtype=np.uint8)
    labels = np.repeat(np.arange(C), 2000)
    images = base[labels]
    res = apply_noise(dict(type='instance', rate=0.3, seed=0), labels, C, images=images)
    for cls in range(C):
        flipped = res.noisy_labels[(labels == cls) & (res.noisy_labels != cls)]
        values, counts = np.unique(flipped, return_counts=True)
        assert counts.max() / counts.sum() > 0.95  # raw pixels -> near one-hot softmax


def test_empirical_transition_matrix_hand_case():
    clean = np.array([0, 0, 0, 0, 1, 1])
    noisy = np.array([0, 0, 0, 1, 1, 0])
    T = empirical_transition_matrix(clean, noisy, 3)
    assert np.allclose(T, [[0.75, 0.25, 0], [0.5, 0.5, 0], [0, 0, 0]])


@pytest.mark.parametrize('cfg,match', [
    (dict(type='symmetric', rate=1.0), r'\[0, 1\)'),
    (dict(type='symmetric', rate=-0.1), r'\[0, 1\)'),
    (dict(type='symmetric', rate='0.5'), 'must be a number'),
    (dict(type='symmetric', rate=0.9), 'dominant diagonal'),
    (dict(type='asymmetric', rate=0.5), 'dominant diagonal'),
    (dict(type='pairflip', rate=0.6), 'dominant diagonal'),
    (dict(type='gaussian', rate=0.2), 'unknown noise type'),
    (dict(type='symmetric', rate=0.2, sed=1), r"does not take \['sed'\]"),
    (dict(type='symmetric'), r"needs \['rate'\]"),
    (dict(type='asymmetric', rate=0.2, mapping='cifar1000'), 'unknown asymmetric map'),
    (dict(type='asymmetric', rate=0.2, mapping={3: 12}), 'outside'),
    (dict(rate=0.2), "with a 'type'"),
])
def test_bad_noise_configs_are_named(cfg, match):
    with pytest.raises(NoiseConfigError, match=match):
        apply_noise(cfg, LABELS, C)


def test_bad_labels_and_classes():
    with pytest.raises(NoiseConfigError, match=r'\[0, 10\)'):
        apply_noise(dict(type='symmetric', rate=0.2), np.array([0, 3, 10]), 10)
    with pytest.raises(NoiseConfigError, match='num_classes'):
        apply_noise(dict(type='symmetric', rate=0.2), LABELS, 1)
    with pytest.raises(NoiseConfigError, match='coarse labels'):
        apply_noise(dict(type='superclass', rate=0.2), LABELS, 10)
