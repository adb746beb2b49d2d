"""``CoTrainingOptimWrapperConstructor``: one optimizer (and wrapper) per network."""
import copy

from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict

from mmnoisy.engine.utils import unwrap
from mmnoisy.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class CoTrainingOptimWrapperConstructor:
    """Builds an ``OptimWrapperDict`` with one wrapper per network of a co-training learner.

    ``optim_wrapper=dict(constructor='CoTrainingOptimWrapperConstructor', optimizer=...)``
    gives every network (``model.networks``: 'net1', 'net2') its own copy of the same
    settings; ``dict(constructor=..., net1=dict(optimizer=...), net2=dict(optimizer=...))``
    sets them per network. Wrapper options (``type='AmpOptimWrapper'`` from ``--amp``,
    ``clip_grad``, ...) apply to each. A parameter scheduler in the config is then built once
    per network by MMEngine, so each network follows its own schedule.
    """

    def __init__(self, optim_wrapper_cfg, paramwise_cfg=None):
        self.cfg = copy.deepcopy(dict(optim_wrapper_cfg))
        self.paramwise_cfg = paramwise_cfg

    def __call__(self, model):
        model = unwrap(model)
        names = tuple(getattr(model, 'networks', ()))
        if len(names) < 2:
            raise ValueError(f'CoTrainingOptimWrapperConstructor builds one optimizer per '
                             f'network of a co-training learner; {type(model).__name__} has '
                             f'networks {names}')
        per_net = {k: v for k, v in self.cfg.items() if k in names}
        shared = {k: v for k, v in self.cfg.items() if k not in names}
        if per_net and set(per_net) != set(names):
            raise ValueError(f'optim_wrapper sets {sorted(per_net)} but the learner has '
                             f'networks {list(names)}: give every network its settings or none')
        wrappers = {}
        for name in names:
            cfg = copy.deepcopy(shared)
            cfg.update(copy.deepcopy(per_net.get(name, {})))
            if 'optimizer' not in cfg:
                raise ValueError(f'optim_wrapper has no optimizer for {name!r}')
            paramwise = cfg.pop('paramwise_cfg', self.paramwise_cfg)
            wrappers[name] = DefaultOptimWrapperConstructor(cfg, paramwise)(
                getattr(model, name))
        return OptimWrapperDict(**wrappers)
