"""What every plug-in loss shares: building them from the model config and adding them up.

A plug-in (``aux_losses=[dict(type=...)]`` on ``NoisyClassifier`` or a co-training learner) is
a callable ``(feats, logits, labels, generator) -> dict`` whose ``{prefix}.loss`` entry is the
loss to add and whose other entries are logged; it may say ``num_classes``.
"""
from mmnoisy.registry import MODELS


def build_aux_losses(cfgs, num_classes=None):
    """Build the ``aux_losses`` of a model config (a list of dicts) and check that each
    covers ``num_classes`` classes."""
    out = []
    for cfg in cfgs or []:
        loss = MODELS.build(cfg) if isinstance(cfg, dict) else cfg
        if not callable(loss):
            raise TypeError(f'an aux loss must be callable, got {type(loss).__name__}')
        n = getattr(loss, 'num_classes', None)
        if num_classes is not None and n is not None and n != num_classes:
            raise ValueError(f'num_classes mismatch: {type(loss).__name__} covers {n} classes '
                             f'but the model head has num_classes={num_classes}')
        out.append(loss)
    return out


def aux_loss_terms(aux_losses, feats, logits, labels, generator=None):
    """Sum of the aux losses (``None`` when there are none) and the dict of their logged
    parts (each plug-in returns ``{prefix}.loss`` and its terms)."""
    total, log = None, {}
    for aux in aux_losses:
        terms = aux(feats, logits, labels, generator)
        loss = terms[f'{aux.prefix}.loss']
        total = loss if total is None else total + loss
        log.update({k: v.detach() for k, v in terms.items()})
    return total, log
