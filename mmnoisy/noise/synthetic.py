"""Synthetic label noise: symmetric, asymmetric maps, pair-flip, superclass and instance-dependent.

Every generator takes the clean labels and returns new labels, drawing from
``numpy.random.default_rng(seed)`` only, so a seed fixes the noise. Class-conditional
generators corrupt exactly ``round(rate * N)`` randomly chosen samples, as DivideMix
does; the realised rate and transition matrix are measured by ``apply_noise``.
"""
import numpy as np

from .base import NoiseConfigError, check_rate, choose_noisy, register_noise

# The classic CIFAR-10 asymmetric map (DivideMix, Patrini et al. 2017):
# truck -> automobile, bird -> airplane, deer -> horse, cat <-> dog.
CIFAR10_ASYM_MAP = {9: 1, 2: 0, 4: 7, 3: 5, 5: 3}
# Fashion-MNIST, chosen for this package in the same spirit (each source flips to the class it
# is most confused with): T-shirt/top -> Shirt, Pullover <-> Coat, Sandal -> Sneaker,
# Sneaker -> Ankle boot.
FASHION_MNIST_ASYM_MAP = {0: 6, 2: 4, 4: 2, 5: 7, 7: 9}
ASYM_MAPS = {'cifar10': CIFAR10_ASYM_MAP, 'fashion_mnist': FASHION_MNIST_ASYM_MAP}


def _require_dominant(rate, limit, what):
    if rate >= limit:
        raise NoiseConfigError(
            f'{what} noise at rate {rate} leaves the transition matrix without a dominant '
            f'diagonal (the true label is no longer the most likely one); use a rate below '
            f'{limit:.4g}')


@register_noise('none')
def no_noise(labels, num_classes):
    """Keep the labels (clean training, or a dataset whose labels are already noisy)."""
    return labels.copy()


@register_noise('symmetric')
def symmetric(labels, num_classes, rate, seed=0, include_true_class=False):
    """Relabel round(rate*N) random samples uniformly.

    include_true_class=False: draw among the C-1 other classes (realised rate = rate;
    needs rate < (C-1)/C). True: draw among all C classes, as DivideMix does, so the
    realised rate is about rate*(C-1)/C.
    """
    rate = check_rate(rate)
    if not include_true_class:
        _require_dominant(rate, (num_classes - 1) / num_classes,
                          'symmetric (include_true_class=False)')
    rng = np.random.default_rng(seed)
    noisy = labels.copy()
    idx = choose_noisy(len(labels), rate, rng)
    if include_true_class:
        noisy[idx] = rng.integers(0, num_classes, size=len(idx))
    else:
        noisy[idx] = (labels[idx] + rng.integers(1, num_classes, size=len(idx))) % num_classes
    return noisy


def _flip_with_map(labels, target, rate, seed):
    """Corrupt round(rate*N) random samples to ``target[label]`` (unmapped classes stay)."""
    rng = np.random.default_rng(seed)
    noisy = labels.copy()
    idx = choose_noisy(len(labels), rate, rng)
    noisy[idx] = target[labels[idx]]
    return noisy


@register_noise('asymmetric')
def asymmetric(labels, num_classes, rate, seed=0, mapping='cifar10'):
    """Class-dependent flips following ``mapping`` ({source: target} or a preset name).

    As in DivideMix, round(rate*N) samples of the whole set are chosen and those whose
    class is a source in the map are flipped, so each source class loses about ``rate``
    of its samples and the other classes are untouched.
    """
    rate = check_rate(rate)
    _require_dominant(rate, 0.5, 'asymmetric')
    if isinstance(mapping, str):
        if mapping not in ASYM_MAPS:
            raise NoiseConfigError(
                f'unknown asymmetric map {mapping!r}; presets: {sorted(ASYM_MAPS)} '
                f'(or give a dict {{source: target}})')
        mapping = ASYM_MAPS[mapping]
    target = np.arange(num_classes)
    for src, dst in dict(mapping).items():
        src, dst = int(src), int(dst)
        if not (0 <= src < num_classes and 0 <= dst < num_classes):
            raise NoiseConfigError(
                f'asymmetric map entry {src}->{dst} is outside [0, {num_classes})')
        target[src] = dst
    return _flip_with_map(labels, target, rate, seed)


@register_noise('pairflip')
def pairflip(labels, num_classes, rate, seed=0):
    """Pair noise (Han et al. 2018): class i -> (i + 1) mod C for round(rate*N) samples."""
    rate = check_rate(rate)
    _require_dominant(rate, 0.5, 'pair-flip')
    target = (np.arange(num_classes) + 1) % num_classes
    return _flip_with_map(labels, target, rate, seed)


def superclass_cycle(fine_to_coarse):
    """Map each fine class to the next fine class of its superclass (cyclic, in index order)."""
    fine_to_coarse = np.asarray(fine_to_coarse)
    target = np.arange(len(fine_to_coarse))
    for coarse in np.unique(fine_to_coarse):
        members = np.flatnonzero(fine_to_coarse == coarse)
        target[members] = np.roll(members, -1)
    return target


@register_noise('superclass')
def superclass(labels, num_classes, rate, seed=0, superclasses='coarse_labels',
               coarse_labels=None):
    """CIFAR-100 asymmetric noise: flip to the next class of the same superclass.

    superclasses='coarse_labels' (default) uses the true superclasses, read from the
    dataset's per-sample coarse labels. superclasses='blocks_of_5' is the variant of
    UNICON/HMW/ELR code, whose "superclasses" are blocks of 5 consecutive fine indices
    (not the real CIFAR-100 superclasses, since fine labels are alphabetical).
    """
    rate = check_rate(rate)
    _require_dominant(rate, 0.5, 'superclass')
    if superclasses == 'blocks_of_5':
        if num_classes % 5:
            raise NoiseConfigError(f'blocks_of_5 needs num_classes divisible by 5, '
                                   f'got {num_classes}')
        fine_to_coarse = np.arange(num_classes) // 5
    elif superclasses == 'coarse_labels':
        if coarse_labels is None:
            raise NoiseConfigError(
                "superclass noise with superclasses='coarse_labels' needs a dataset that "
                "provides coarse labels (e.g. mmnoisy's CIFAR100); use "
                "superclasses='blocks_of_5' for the block variant")
        coarse_labels = np.asarray(coarse_labels, dtype=np.int64)
        if len(coarse_labels) != len(labels):
            raise NoiseConfigError(f'{len(coarse_labels)} coarse labels for '
                                   f'{len(labels)} samples')
        fine_to_coarse = np.full(num_classes, -1, dtype=np.int64)
        fine_to_coarse[labels] = coarse_labels
        if np.any(fine_to_coarse[labels] != coarse_labels):
            raise NoiseConfigError('coarse labels are inconsistent: a fine class appears '
                                   'under more than one superclass')
        # classes absent from the data keep their own superclass id so they map to themselves
        absent = fine_to_coarse < 0
        fine_to_coarse[absent] = -1 - np.flatnonzero(absent)
    else:
        raise NoiseConfigError(f"superclasses must be 'coarse_labels' or 'blocks_of_5', "
                               f'got {superclasses!r}')
    return _flip_with_map(labels, superclass_cycle(fine_to_coarse), rate, seed)


def truncated_normal(rng, mean, std, size, low=0.0, high=1.0):
    """Rejection-sample N(mean, std) restricted to the open interval (low, high)."""
    out = np.empty(size)
    todo = np.arange(size)
    while todo.size:
        draw = rng.normal(mean, std, size=todo.size)
        ok = (draw > low) & (draw < high)
        out[todo[ok]] = draw[ok]
        todo = todo[~ok]
    return out


@register_noise('instance')
def instance(labels, num_classes, rate, seed=0, std=0.1, images=None):
    """Instance-dependent noise of Xia et al. (NeurIPS 2020), "part-dependent" generator.

    Per sample a flip rate q_i ~ N(rate, std) truncated to (0, 1); per class y a random
    projection W_y ~ N(0, 1) of shape (D, C). The flip distribution of sample i is
    q_i * softmax(x_i W_y) over the other classes and 1 - q_i on y, where x_i are the raw
    (0-255) pixel values flattened, so the noisy label depends on the image.
    """
    rate = check_rate(rate)
    if images is None:
        raise NoiseConfigError('instance noise needs the images of the dataset')
    images = np.asarray(images)
    if len(images) != len(labels):
        raise NoiseConfigError(f'{len(images)} images for {len(labels)} labels')
    rng = np.random.default_rng(seed)
    num = len(labels)
    flip_rate = np.zeros(num) if rate == 0 else truncated_normal(rng, rate, std, num)
    dim = int(np.prod(images.shape[1:]))
    noisy = labels.copy()
    for cls in range(num_classes):
        # one projection per class, drawn in class order even when the class is absent
        proj = rng.standard_normal((dim, num_classes)).astype(np.float32)
        idx = np.flatnonzero(labels == cls)
        if not idx.size:
            continue
        scores = images[idx].reshape(len(idx), dim).astype(np.float32) @ proj
        scores = scores.astype(np.float64)
        scores[:, cls] = -np.inf
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=1, keepdims=True)
        probs *= flip_rate[idx, None]
        probs[:, cls] = 1.0 - flip_rate[idx]
        cum = np.cumsum(probs, axis=1)
        u = rng.random(len(idx)) * cum[:, -1]
        noisy[idx] = np.minimum((cum < u[:, None]).sum(axis=1), num_classes - 1)
    return noisy
