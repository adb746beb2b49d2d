"""mmnoisy's registries: children of mmpretrain's, scope ``mmnoisy``.

Configs set ``default_scope = 'mmnoisy'``; a name not registered here is looked up in
mmpretrain and then in mmengine, so configs can still use any of their modules.
"""
from mmengine.registry import Registry
from mmpretrain import registry as mmpretrain_registry

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'LOG_PROCESSORS', 'OPTIMIZERS',
    'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'DATASETS',
    'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS',
    'BATCH_AUGMENTS', 'TASK_UTILS', 'METRICS', 'EVALUATORS', 'VISUALIZERS', 'VISBACKENDS'
]


def _child(name):
    parent = getattr(mmpretrain_registry, name)
    return Registry(parent.name, parent=parent, scope='mmnoisy',
                    locations=['mmnoisy.all_modules'])


RUNNERS = _child('RUNNERS')
RUNNER_CONSTRUCTORS = _child('RUNNER_CONSTRUCTORS')
LOOPS = _child('LOOPS')
HOOKS = _child('HOOKS')
LOG_PROCESSORS = _child('LOG_PROCESSORS')
OPTIMIZERS = _child('OPTIMIZERS')
OPTIM_WRAPPERS = _child('OPTIM_WRAPPERS')
OPTIM_WRAPPER_CONSTRUCTORS = _child('OPTIM_WRAPPER_CONSTRUCTORS')
PARAM_SCHEDULERS = _child('PARAM_SCHEDULERS')
DATASETS = _child('DATASETS')
DATA_SAMPLERS = _child('DATA_SAMPLERS')
TRANSFORMS = _child('TRANSFORMS')
MODELS = _child('MODELS')
MODEL_WRAPPERS = _child('MODEL_WRAPPERS')
WEIGHT_INITIALIZERS = _child('WEIGHT_INITIALIZERS')
BATCH_AUGMENTS = _child('BATCH_AUGMENTS')
TASK_UTILS = _child('TASK_UTILS')
METRICS = _child('METRICS')
EVALUATORS = _child('EVALUATORS')
VISUALIZERS = _child('VISUALIZERS')
VISBACKENDS = _child('VISBACKENDS')
