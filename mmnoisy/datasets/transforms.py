"""Transforms: packing with the noise fields, RoLR's strong augmentation, and AutoAugment's
CIFAR-10 policy (UNICON's strong view).

The strong view of RoLR/CCL (REFERENCE section 1): RandAugment with ``num_ops`` ops drawn
from FixMatch's 14-op pool, each at a uniformly random magnitude (RoLR ignores a fixed m),
followed by Cutout of a square with side U(0, 0.5) * image size filled with grey.
"""
import random

import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.datasets.transforms import AutoAugment, PackInputs
from PIL import Image, ImageEnhance, ImageOps

from mmnoisy.registry import TRANSFORMS

NOISE_META_KEYS = ('clean_label', 'is_noisy', 'is_copy', 'source_idx')


@TRANSFORMS.register_module()
class PackNoisyInputs(PackInputs):
    """``PackInputs`` that also keeps ``clean_label`` and ``is_noisy`` in the metainfo.

    They are for metrics and selection-quality logging only; heads and losses read
    ``gt_label`` (the noisy label).
    """

    def __init__(self, meta_keys=PackInputs.DEFAULT_META_KEYS, **kwargs):
        meta_keys = tuple(meta_keys) + tuple(k for k in NOISE_META_KEYS if k not in meta_keys)
        super().__init__(meta_keys=meta_keys, **kwargs)


def _signed(value):
    return value if random.random() < 0.5 else -value


def _affine(img, matrix):
    return img.transform(img.size, Image.AFFINE, matrix, fillcolor=(128, 128, 128))


# op(img, v) with v ~ U(0, 1); ranges as in FixMatch's augmentation pool
FIXMATCH_OPS = {
    'AutoContrast': lambda img, v: ImageOps.autocontrast(img),
    'Brightness': lambda img, v: ImageEnhance.Brightness(img).enhance(0.05 + 0.9 * v),
    'Color': lambda img, v: ImageEnhance.Color(img).enhance(0.05 + 0.9 * v),
    'Contrast': lambda img, v: ImageEnhance.Contrast(img).enhance(0.05 + 0.9 * v),
    'Equalize': lambda img, v: ImageOps.equalize(img),
    'Identity': lambda img, v: img,
    'Posterize': lambda img, v: ImageOps.posterize(img, 4 + int(round(4 * v))),
    'Rotate': lambda img, v: img.rotate(_signed(30 * v), fillcolor=(128, 128, 128)),
    'Sharpness': lambda img, v: ImageEnhance.Sharpness(img).enhance(0.05 + 0.9 * v),
    'ShearX': lambda img, v: _affine(img, (1, _signed(0.3 * v), 0, 0, 1, 0)),
    'ShearY': lambda img, v: _affine(img, (1, 0, 0, _signed(0.3 * v), 1, 0)),
    'Solarize': lambda img, v: ImageOps.solarize(img, int(256 - 256 * v)),
    'TranslateX': lambda img, v: _affine(img, (1, 0, _signed(0.3 * v) * img.size[0], 0, 1, 0)),
    'TranslateY': lambda img, v: _affine(img, (1, 0, 0, 0, 1, _signed(0.3 * v) * img.size[1])),
}


@TRANSFORMS.register_module()
class FixMatchRandAugment(BaseTransform):
    """Apply ``num_ops`` ops drawn from FixMatch's pool, each with a random magnitude.

    Works on uint8 HxWx3 (or HxWx1) ``results['img']``.
    """

    def __init__(self, num_ops=3, ops=None):
        ops = list(ops or FIXMATCH_OPS)
        unknown = [o for o in ops if o not in FIXMATCH_OPS]
        if unknown:
            raise ValueError(f'unknown ops {unknown}; choose from {sorted(FIXMATCH_OPS)}')
        if not 0 < num_ops <= len(ops):
            raise ValueError(f'num_ops must be in [1, {len(ops)}], got {num_ops}')
        self.num_ops, self.ops = num_ops, ops

    def transform(self, results):
        img = results['img']
        gray = img.ndim == 3 and img.shape[2] == 1
        pil = Image.fromarray(np.repeat(img, 3, axis=2) if gray else img)
        for name in random.sample(self.ops, self.num_ops):
            pil = FIXMATCH_OPS[name](pil, random.random())
        out = np.asarray(pil)
        results['img'] = out[..., :1] if gray else out
        return results

    def __repr__(self):
        return f'{type(self).__name__}(num_ops={self.num_ops}, ops={self.ops})'


@TRANSFORMS.register_module()
class RandomCutout(BaseTransform):
    """Cut a square of side U(0, max_ratio) * min(H, W), centred uniformly (clipped at the
    border), and fill it with ``fill`` (RoLR: grey (125, 123, 114), always applied)."""

    def __init__(self, max_ratio=0.5, fill=(125, 123, 114)):
        if not 0 < max_ratio <= 1:
            raise ValueError(f'max_ratio must be in (0, 1], got {max_ratio}')
        self.max_ratio, self.fill = max_ratio, tuple(fill)

    def transform(self, results):
        img = results['img'].copy()
        h, w = img.shape[:2]
        side = random.uniform(0, self.max_ratio) * min(h, w)
        cx, cy = random.uniform(0, w), random.uniform(0, h)
        x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
        x1, y1 = int(min(w, x0 + side)), int(min(h, y0 + side))
        fill = np.asarray(self.fill[:img.shape[2]] if img.ndim == 3 else self.fill[0])
        img[y0:y1, x0:x1] = fill.astype(img.dtype)
        results['img'] = img
        return results


# AutoAugment's CIFAR-10 policy (Cubuk et al., CVPR 2019, Appendix): 25 sub-policies of two
# operations, each (operation, probability, magnitude level 0..9). UNICON's strong view uses
# it for CIFAR-10 and CIFAR-100 alike.
CIFAR10_POLICY = (
    (('Invert', 0.1, 7), ('Contrast', 0.2, 6)),
    (('Rotate', 0.7, 2), ('TranslateX', 0.3, 9)),
    (('Sharpness', 0.8, 1), ('Sharpness', 0.9, 3)),
    (('ShearY', 0.5, 8), ('TranslateY', 0.7, 9)),
    (('AutoContrast', 0.5, 8), ('Equalize', 0.9, 2)),
    (('ShearY', 0.2, 7), ('Posterize', 0.3, 7)),
    (('Color', 0.4, 3), ('Brightness', 0.6, 7)),
    (('Sharpness', 0.3, 9), ('Brightness', 0.7, 9)),
    (('Equalize', 0.6, 5), ('Equalize', 0.5, 1)),
    (('Contrast', 0.6, 7), ('Sharpness', 0.6, 5)),
    (('Color', 0.7, 7), ('TranslateX', 0.5, 8)),
    (('Equalize', 0.3, 7), ('AutoContrast', 0.4, 8)),
    (('TranslateY', 0.4, 3), ('Sharpness', 0.2, 6)),
    (('Brightness', 0.9, 6), ('Color', 0.2, 8)),
    (('Solarize', 0.5, 2), ('Invert', 0.0, 3)),
    (('Equalize', 0.2, 0), ('AutoContrast', 0.6, 0)),
    (('Equalize', 0.2, 8), ('Equalize', 0.6, 4)),
    (('Color', 0.9, 9), ('Equalize', 0.6, 6)),
    (('AutoContrast', 0.8, 4), ('Solarize', 0.2, 8)),
    (('Brightness', 0.1, 3), ('Color', 0.7, 0)),
    (('Solarize', 0.4, 5), ('AutoContrast', 0.9, 3)),
    (('TranslateY', 0.9, 9), ('TranslateY', 0.7, 9)),
    (('AutoContrast', 0.9, 2), ('Solarize', 0.8, 3)),
    (('Equalize', 0.8, 8), ('Invert', 0.1, 3)),
    (('TranslateY', 0.7, 9), ('AutoContrast', 0.9, 1)),
)
# magnitude at level 0 and level 9 (linear in between); translation as a fraction of the
# image (150 pixels of 331 in the paper), enhancement factors 1 +- magnitude
_LEVEL_RANGES = {
    'ShearX': (0.0, 0.3), 'ShearY': (0.0, 0.3), 'TranslateX': (0.0, 150 / 331),
    'TranslateY': (0.0, 150 / 331), 'Rotate': (0.0, 30.0), 'Color': (0.0, 0.9),
    'Contrast': (0.0, 0.9), 'Brightness': (0.0, 0.9), 'Sharpness': (0.0, 0.9),
    'Posterize': (8, 4), 'Solarize': (256, 0)
}
_MMPRETRAIN_OPS = {
    'ShearX': ('Shear', 'magnitude', dict(direction='horizontal')),
    'ShearY': ('Shear', 'magnitude', dict(direction='vertical')),
    'TranslateX': ('Translate', 'magnitude', dict(direction='horizontal')),
    'TranslateY': ('Translate', 'magnitude', dict(direction='vertical')),
    'Rotate': ('Rotate', 'angle', {}), 'Color': ('ColorTransform', 'magnitude', {}),
    'Contrast': ('Contrast', 'magnitude', {}), 'Brightness': ('Brightness', 'magnitude', {}),
    'Sharpness': ('Sharpness', 'magnitude', {}), 'Posterize': ('Posterize', 'bits', {}),
    'Solarize': ('Solarize', 'thr', {}), 'AutoContrast': ('AutoContrast', None, {}),
    'Equalize': ('Equalize', None, {}), 'Invert': ('Invert', None, {}),
}


def autoaugment_op(name, prob, level):
    """One operation of an AutoAugment policy as an mmpretrain transform config."""
    kind, arg, extra = _MMPRETRAIN_OPS[name]
    op = dict(type=kind, prob=prob, **extra)
    if arg is not None:
        lo, hi = _LEVEL_RANGES[name]
        value = lo + (hi - lo) * level / 9
        op[arg] = int(round(value)) if name in ('Posterize', 'Solarize') else float(value)
    return op


def cifar10_autoaugment_policies():
    return [[autoaugment_op(*op) for op in sub] for sub in CIFAR10_POLICY]


@TRANSFORMS.register_module()
class CIFAR10AutoAugment(AutoAugment):
    """mmpretrain's ``AutoAugment`` with AutoAugment's CIFAR-10 policy: one of the 25
    sub-policies at random per image; signed magnitudes get a random sign; ``pad_val`` fills
    what geometric operations uncover (grey). A grey-scale image (H, W) or (H, W, 1) is
    augmented as its three-channel copy and given back in its own shape (mmcv's
    auto-contrast and colour operations index three channels)."""

    def __init__(self, pad_val=128):
        super().__init__(policies=cifar10_autoaugment_policies(), hparams=dict(pad_val=pad_val))

    def transform(self, results):
        img = results['img']
        if img.ndim == 3 and img.shape[2] != 1:
            return super().transform(results)
        shape = img.shape
        results['img'] = np.repeat(img.reshape(shape[0], shape[1], 1), 3, axis=2)
        results = super().transform(results)
        results['img'] = np.ascontiguousarray(results['img'][..., 0]).reshape(
            results['img'].shape[:2] + shape[2:])
        return results
