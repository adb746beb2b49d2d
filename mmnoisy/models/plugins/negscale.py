"""NegScale as a plug-in: an auxiliary loss on a network's features that any learner adds to
its own loss (``aux_losses=[dict(type='NegScale', ...)]`` in the model config)."""
import torch

from mmnoisy.models.losses.negscale import REDUCTIONS, negscale_loss
from mmnoisy.registry import MODELS
from mmnoisy.taxonomy import build_taxonomy


@MODELS.register_module()
class NegScale:
    """lambda * L_SNOP + mu * L_DCSA (Eq. 9) on the pooled features of a batch.

    Args:
        taxonomy: the class tree of the pLCA distance: a built-in name ('cifar10',
            'cifar100', 'cifar100_superclasses', 'animal10n', 'webvision_mini'), a
            parent-child file, a nested dict, or ``dict(source=..., classes=[...])``.
        classes (list[str], optional): the dataset's classes in label order; by default the
            built-in tree's order. ``NoisyLabelHook`` checks them against the training
            dataset's classes before training.
        eta_min, eta_max (float): related pairs have 0 < D <= eta_min, unrelated ones
            D > eta_max (paper: 3 and 5).
        lambda_snop, mu_dcsa (float): lambda and mu of Eq. 9 (paper: 1 and 1); 0 switches
            a module off (Table 7 "w/o SNOP" / "w/o DCSA").
        selection (str): 'plca' (the method) or 'random' (Table 7 "w Random Selection":
            as many negative pairs, drawn at random among differently-labelled pairs).
        reduction (str): 'mean' (default) or 'sum' (the equations as written); see
            :mod:`mmnoisy.models.losses.negscale`.
        detach_bound (bool): no gradient through delta of Eq. 7 (default True).
        prefix (str): prefix of the logged terms.
    """

    def __init__(self, taxonomy, classes=None, eta_min=3, eta_max=5, lambda_snop=1.0,
                 mu_dcsa=1.0, selection='plca', reduction='mean', detach_bound=True,
                 prefix='negscale'):
        if eta_min > eta_max:
            raise ValueError(f'eta_min ({eta_min}) must be <= eta_max ({eta_max})')
        if eta_min < 0:
            raise ValueError(f'eta_min must be >= 0, got {eta_min}')
        if lambda_snop < 0 or mu_dcsa < 0:
            raise ValueError(f'lambda_snop and mu_dcsa must be >= 0, got {lambda_snop}, '
                             f'{mu_dcsa}')
        if selection not in ('plca', 'random'):
            raise ValueError(f"selection must be 'plca' or 'random', got {selection!r}")
        if reduction not in REDUCTIONS:
            raise ValueError(f'reduction must be one of {REDUCTIONS}, got {reduction!r}')
        self.taxonomy = build_taxonomy(taxonomy)
        self.eta_min, self.eta_max = eta_min, eta_max
        self.lambda_snop, self.mu_dcsa = float(lambda_snop), float(mu_dcsa)
        self.selection, self.reduction = selection, reduction
        self.detach_bound, self.prefix = bool(detach_bound), prefix
        classes = classes if classes is not None else self.taxonomy.classes
        if classes is None:
            raise ValueError('NegScale needs the classes in label order: give classes=[...] '
                             '(a taxonomy file does not say the label order)')
        self.bind_classes(classes)

    def bind_classes(self, classes):
        """Use ``classes`` (label order) for the pLCA matrix; an error names the classes the
        taxonomy lacks."""
        classes = tuple(str(c) for c in classes)
        dist = torch.as_tensor(self.taxonomy.plca_matrix(classes))
        self.classes, self._dist = classes, dist
        self._dist_on = {}
        if not (dist > self.eta_max).any():
            raise ValueError(
                f'no pair of classes has pLCA > eta_max={self.eta_max} in this taxonomy '
                f'(its pLCA values: {self.taxonomy.levels(classes)}): NegScale would never '
                'select a negative pair; lower eta_max or use a deeper tree')

    @property
    def num_classes(self):
        return len(self.classes)

    def dist(self, device):
        key = str(device)
        if key not in self._dist_on:
            self._dist_on[key] = self._dist.to(device)
        return self._dist_on[key]

    def __call__(self, feats, logits, labels, generator=None):
        """The weighted loss and its parts, keys prefixed (``negscale.snop`` ...)."""
        terms = negscale_loss(feats, logits, labels, self.dist(feats.device), self.eta_min,
                              self.eta_max, self.lambda_snop, self.mu_dcsa, self.reduction,
                              self.selection, self.detach_bound, generator)
        return {f'{self.prefix}.{k}': v for k, v in terms.items()}
