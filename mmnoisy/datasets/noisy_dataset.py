"""``NoisyLabelDataset``: puts label noise on any mmpretrain/mmengine dataset.

Training sees only the noisy label, as ``gt_label``. The clean label and the is-noisy flag
travel with each sample as ``clean_label`` / ``is_noisy`` (with ``sample_idx``) for metrics
only: losses and heads read ``gt_label`` and nothing else (tests/test_noisy_dataset.py
trains twice with scrambled clean labels and checks the weights are identical).
"""
import copy

import numpy as np
from mmnoisy.noise import NoiseResult, apply_noise
from mmnoisy.registry import DATASETS
from .samplers import split_stream_index, tag_stream

# clean_label / is_noisy of samples whose clean label is unknown (real-world noise)
UNKNOWN = -1


@DATASETS.register_module()
class NoisyLabelDataset:
    """Wrap ``dataset`` and replace its labels as ``noise`` says.

    Args:
        dataset (dict | Dataset): the dataset (config or object); its ``gt_label`` is taken
            as the clean label unless it says ``labels_are_noisy`` (Animal-10N, Clothing1M,
            WebVision), in which case the clean labels are unknown.
        noise (dict): ``dict(type=..., ...)`` for :func:`mmnoisy.noise.apply_noise`, e.g.
            ``dict(type='symmetric', rate=0.5, seed=1)``, or
            ``dict(type='file', path='work_dirs/run/noisy_labels.npz')`` to reuse the labels
            an earlier run saved.
        num_classes (int, optional): defaults to the number of classes in the metainfo.
        labels_are_noisy (bool, optional): True: the dataset's labels may themselves be
            wrong and the clean labels are unknown (your own data; no precision/recall is
            reported against them); False: they are clean; None (default): as the dataset
            says (``labels_are_noisy`` attribute, else clean).
        lazy_init (bool): defer loading and corrupting until :meth:`full_init`.
    """

    #: takes the (index, stream) pairs of CoTrainingBatchSampler
    takes_stream_index = True

    def __init__(self, dataset, noise, num_classes=None, labels_are_noisy=None,
                 lazy_init=False):
        if labels_are_noisy not in (None, True, False):
            raise ValueError(f'labels_are_noisy must be None, True or False, '
                             f'got {labels_are_noisy!r}')
        self._labels_are_noisy = labels_are_noisy
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        self.dataset = dataset
        self.noise_cfg = copy.deepcopy(dict(noise))
        self._num_classes = num_classes
        self.noise: NoiseResult = None
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self):
        return copy.deepcopy(self.dataset.metainfo)

    @property
    def num_classes(self):
        if self._num_classes is not None:
            return int(self._num_classes)
        classes = self.dataset.metainfo.get('classes')
        if classes is None:
            raise ValueError(f'{type(self.dataset).__name__} has no classes in its metainfo; '
                             'give NoisyLabelDataset(num_classes=...)')
        return len(classes)

    @property
    def labels_known(self):
        if self._labels_are_noisy is not None:
            return not self._labels_are_noisy
        return not getattr(self.dataset, 'labels_are_noisy', False)

    def _labels(self):
        if hasattr(self.dataset, 'get_gt_labels'):
            return np.asarray(self.dataset.get_gt_labels(), np.int64)
        return np.array([self.dataset.get_data_info(i)['gt_label']
                         for i in range(len(self.dataset))], np.int64)

    def _context(self):
        """Per-sample inputs some noise types need, read in one pass when needed."""
        context = {}
        ntype = self.noise_cfg.get('type')
        if ntype == 'superclass' and hasattr(self.dataset, 'get_coarse_labels'):
            context['coarse_labels'] = self.dataset.get_coarse_labels()
        elif ntype == 'superclass' and self.noise_cfg.get('superclasses') != 'blocks_of_5':
            first = self.dataset.get_data_info(0) if len(self.dataset) else {}
            if 'coarse_label' in first:
                context['coarse_labels'] = np.array(
                    [self.dataset.get_data_info(i)['coarse_label']
                     for i in range(len(self.dataset))])
        if ntype == 'instance':
            context['images'] = self._images()
        return context

    def _images(self):
        images = []
        for i in range(len(self.dataset)):
            info = self.dataset.get_data_info(i)
            if 'img' in info:
                images.append(np.asarray(info['img']))
            elif 'img_path' in info:
                import mmcv
                images.append(mmcv.imread(info['img_path']))
            else:
                raise ValueError('instance noise needs images: the dataset gives neither '
                                 "'img' nor 'img_path'")
        shapes = {im.shape for im in images}
        if len(shapes) > 1:
            raise ValueError(f'instance noise needs images of one size, got {sorted(shapes)[:3]}')
        return np.stack(images)

    def full_init(self):
        if self._fully_initialized:
            return
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        given = self._labels()
        num_classes = self.num_classes
        clean = given if self.labels_known else None
        if self.noise_cfg.get('type') == 'none':
            self.noise = NoiseResult(noisy_labels=given, clean_labels=clean,
                                     num_classes=num_classes, settings={'type': 'none'})
            apply_noise(self.noise_cfg, given, num_classes)  # validates labels and options
        else:
            self.noise = apply_noise(self.noise_cfg, clean, num_classes,
                                     num_samples=len(given), **self._context())
        self._noisy = self.noise.noisy_labels
        self._clean = clean if clean is not None else np.full(len(given), UNKNOWN, np.int64)
        self._is_noisy = (self._noisy != self._clean).astype(np.int64) if clean is not None \
            else np.full(len(given), UNKNOWN, np.int64)
        self._fully_initialized = True

    def __len__(self):
        return len(self.dataset)

    def get_gt_labels(self):
        """The labels training uses (noisy)."""
        return self._noisy.copy()

    def get_data_info(self, idx):
        info = self.dataset.get_data_info(idx)
        info['gt_label'] = int(self._noisy[idx])
        info['clean_label'] = int(self._clean[idx])
        info['is_noisy'] = int(self._is_noisy[idx])
        info['sample_idx'] = idx
        return info

    def __getitem__(self, idx):
        if not self._fully_initialized:
            self.full_init()
        idx, stream = split_stream_index(idx)
        return tag_stream(self.dataset.pipeline(self.get_data_info(idx)), stream)

    def __repr__(self):
        rate = self.noise.noise_rate if self.noise is not None else None
        return (f'{type(self).__name__}(dataset={type(self.dataset).__name__}, '
                f'noise={self.noise_cfg}, samples={len(self)}, realised_rate={rate})')


def find_noisy_dataset(dataset):
    """The NoisyLabelDataset inside ``dataset`` (through mmengine wrappers), or None."""
    seen = 0
    while dataset is not None and seen < 10:
        if isinstance(dataset, NoisyLabelDataset):
            return dataset
        dataset = getattr(dataset, 'dataset', None)
        seen += 1
    return None


__all__ = ['NoisyLabelDataset', 'find_noisy_dataset', 'UNKNOWN']
