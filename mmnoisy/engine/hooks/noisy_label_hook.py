"""Writes the noisy labels a run trains on into its work dir, and checks num_classes."""
import os.path as osp

import numpy as np
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmnoisy.datasets.noisy_dataset import find_noisy_dataset
from mmnoisy.engine.utils import built_loop, unwrap
from mmnoisy.noise import save_noise
from mmnoisy.registry import HOOKS


def model_num_classes(runner):
    model = unwrap(runner.model)
    head = getattr(model, 'head', None)
    if head is not None:
        return getattr(head, 'num_classes', None)
    return getattr(model, 'num_classes', None)  # co-training learners


def bind_plugin_classes(runner, dataset):
    """Give plug-in losses that work on class names (NegScale's taxonomy) the training
    dataset's classes in label order; a taxonomy that lacks some is an error here, before
    any training."""
    classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
    for aux in getattr(unwrap(runner.model), 'aux_losses', None) or []:
        if classes is None or not hasattr(aux, 'bind_classes'):
            continue
        if tuple(aux.classes) != tuple(str(c) for c in classes):
            try:
                aux.bind_classes(classes)
            except ValueError as err:
                raise ValueError(f'{type(aux).__name__} cannot be used with the training '
                                 f'dataset ({type(dataset).__name__}): {err}') from None
            runner.logger.info(f'{type(aux).__name__}: classes bound to the training '
                               f"dataset's label order")


def num_classes_keys(cfg, prefix='model'):
    """The dotted keys that set ``num_classes`` in the model config ``cfg`` (a two-network
    learner's ``model.network.head.num_classes``, a classifier's ``model.head.num_classes``)."""
    if isinstance(cfg, dict):
        items = cfg.items()
    elif isinstance(cfg, (list, tuple)):
        items = ((f'{i}', v) for i, v in enumerate(cfg))
    else:
        return []
    keys = []
    for key, value in items:
        if key == 'num_classes':
            keys.append(f'{prefix}.num_classes')
        else:
            keys += num_classes_keys(value, f'{prefix}.{key}')
    return keys


def check_num_classes(runner, dataset, what):
    expected = model_num_classes(runner)
    classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
    noisy = find_noisy_dataset(dataset)
    found = noisy.num_classes if noisy is not None else (len(classes) if classes else None)
    if expected is not None and found is not None and expected != found:
        keys = num_classes_keys((runner.cfg or {}).get('model')) or ['model.head.num_classes']
        raise ValueError(
            f'num_classes mismatch: the model head has num_classes={expected} but the '
            f'{what} dataset ({type(dataset).__name__}) has {found} classes; set '
            + ' and '.join(f'{k}={found}' for k in keys) + ' or use the matching dataset')


@HOOKS.register_module()
class NoisyLabelHook(Hook):
    """Before training: check the model's num_classes against the datasets, then save
    ``noisy_labels.npz`` (labels, clean labels, realised rate, transition matrix, settings)
    and ``noisy_labels.json`` in the work dir (rank 0). Point a config at the .npz with
    ``noise=dict(type='file', path=...)`` to train on exactly the same labels.

    A work dir that already holds different noisy labels (a resumed run whose noise config
    changed) is an error; the existing file is left as it is.
    """
    priority = 'VERY_HIGH'

    def __init__(self, filename='noisy_labels.npz'):
        self.filename = filename

    def before_run(self, runner):
        for name, what in (('train', 'training'), ('val', 'validation'), ('test', 'test')):
            loop = built_loop(runner, name)
            if loop is not None:
                check_num_classes(runner, loop.dataloader.dataset, what)
        loop = built_loop(runner, 'train')
        if loop is None:
            return
        bind_plugin_classes(runner, loop.dataloader.dataset)
        noisy = find_noisy_dataset(loop.dataloader.dataset)
        if noisy is None:
            return
        result = noisy.noise
        runner.logger.info(
            f'noisy labels: {result.settings}, {len(result.noisy_labels)} samples, realised '
            f'noise rate {result.noise_rate if result.noise_rate is None else round(result.noise_rate, 4)}')
        if not is_main_process():
            return
        path = osp.join(runner.work_dir, self.filename)
        if osp.isfile(path):
            with np.load(path, allow_pickle=False) as old:
                same = np.array_equal(old['noisy_labels'], result.noisy_labels)
            if not same:
                raise RuntimeError(
                    f'{path} already holds different noisy labels (was the noise config '
                    'changed before resuming?). Use another --work-dir, or reuse those labels '
                    f"with noise=dict(type='file', path='{path}').")
            return
        save_noise(result, path)
        runner.logger.info(f'saved the noisy labels to {path}')
