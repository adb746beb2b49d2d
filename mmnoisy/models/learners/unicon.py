"""UNICON (Karim et al., CVPR 2022): uniform selection by the Jensen-Shannon divergence,
MixMatch on strong views, and unsupervised contrastive learning on the unlabelled samples;
optionally with HMW's weights on the mixed samples (Zhang et al., AAAI 2024, UNICON + HMW).

The selection (which samples are labelled and the weight of their given label) is computed
once per epoch by ``UniconSelectionHook`` from both networks' predictions and is the same for
both networks; this learner reads it by ``sample_idx``.
"""
import torch
import torch.nn.functional as F

from mmnoisy.utils.models import unwrap
from mmnoisy.models.losses import mixmatch_losses, simclr_loss, uniform_prior_penalty
from mmnoisy.registry import MODELS
from mmnoisy.selection.hmw import class_distances, mixup_hm_weights
from .co_training import option_dict, take_rows
from .dividemix import DivideMix

HMW_KEYS = ('alpha', 'beta', 'topk', 'use_aum', 'use_tkum', 'hyperspherical',
            'normalized_logits')


@MODELS.register_module()
class UNICON(DivideMix):
    """Args:
        lambda_u (float): weight of the unlabelled loss (30), ramped like DivideMix's.
        lambda_c (float): weight of the contrastive loss (0.025).
        contrast_temperature (float): of the contrastive loss (0.05).
        temperature, alpha, lambda_p, rampup_length: as DivideMix (0.5, 4, 1, 16).
        hmw (dict | None): UNICON + HMW: weight each mixed sample's L_x / L_u term by HMW's
            mixup weight, ``dict(alpha=1, beta=1, topk=1, use_aum=True,
            hyperspherical=True)`` (:func:`mmnoisy.selection.hmw.mixup_hm_weights`);
            ``normalized_logits=True``: warm-up CE (and penalty) on l2-normalised logits, as
            the HMW code's classifier (its mixed-batch loss uses the ordinary logits).

    Views of each training sample: weak, weak, strong, strong (``num_views`` = 4). The weak
    views give the refined / co-guessed targets, the strong views are mixed, and the strong
    views of the unlabelled samples feed the contrastive loss through each network's
    ``projector`` (Linear + BN to 128-d). Batches as DivideMix's: the published configs draw
    labelled and unlabelled streams (``CoTrainingBatchSampler(unlabelled_batch_size='unicon')``).
    """
    num_views = 4
    consumes = frozenset({'trust', 'labelled'})
    selection_hook = 'UniconSelectionHook'
    record_hint = "pipeline='test', signals=dict(prob=1)"

    def __init__(self, lambda_u=30.0, lambda_c=0.025, contrast_temperature=0.05, hmw=None,
                 **kwargs):
        if kwargs.get('ccl') is not None:
            raise ValueError('UNICON does not take CCL terms (ccl=...)')
        if 'p_threshold' in kwargs:
            raise ValueError('UNICON has no p_threshold: its labelled set is the uniform '
                             "selection of UniconSelectionHook (d_u, tau)")
        if kwargs.get('aux_losses'):
            raise ValueError('UNICON does not take plug-in losses (aux_losses) yet')
        super().__init__(lambda_u=lambda_u, **kwargs)
        if lambda_c < 0:
            raise ValueError(f'lambda_c must be >= 0, got {lambda_c}')
        if contrast_temperature <= 0:
            raise ValueError(f'contrast_temperature must be > 0, got {contrast_temperature}')
        self.lambda_c, self.contrast_temperature = float(lambda_c), float(contrast_temperature)
        for name in self.networks:
            if getattr(getattr(self, name), 'projector', None) is None:
                raise ValueError('UNICON contrasts projections of the strong views: give the '
                                 'network a projector, e.g. network=dict(..., projector=dict('
                                 'out_channels=128))')
        self.hmw = None
        if hmw is not None:
            hmw = option_dict(hmw, HMW_KEYS, 'hmw')
            self.hmw = dict(alpha=float(hmw.get('alpha', 1.0)), beta=float(hmw.get('beta', 1.0)),
                            topk=int(hmw.get('topk', 1)), use_aum=bool(hmw.get('use_aum', True)),
                            use_tkum=bool(hmw.get('use_tkum', True)),
                            hyperspherical=bool(hmw.get('hyperspherical', True)),
                            normalized_logits=bool(hmw.get('normalized_logits', False)))
            if not (self.hmw['use_aum'] or self.hmw['use_tkum']):
                raise ValueError('hmw needs at least one of use_aum and use_tkum')
            if self.hmw['alpha'] < 0 or self.hmw['beta'] < 0:
                raise ValueError(f"hmw alpha and beta must be >= 0, got {self.hmw['alpha']}, "
                                 f"{self.hmw['beta']}")
            if self.hmw['topk'] < 1 or self.hmw['topk'] + 3 > self.num_classes:
                raise ValueError(f"hmw topk={self.hmw['topk']} needs topk + 3 <= C = "
                                 f'{self.num_classes} (two labels, the nearest other class and '
                                 'k more)')
            if self.hmw['hyperspherical'] and self.net1.class_weights() is None:
                raise ValueError('hyperspherical HMW needs a head with class weights (a linear '
                                 "head's fc); use hmw=dict(hyperspherical=False) otherwise")

    def network_step(self, name, views, labels, sample_idx, lab, optim_wrapper, log):
        onehot = self.onehot(labels)
        device = views[0].device
        net, wrapper = getattr(self, name), optim_wrapper[name]
        selected, w = self.batch_selection(name, sample_idx, device)
        lab = selected if lab is None else lab
        unl = ~lab
        px, pu = self.co_guess(name, views, lab, onehot, w)
        mixed_x, mixed_t, nx, all_t, perm = self.mix(name, views[2], views[3], lab, px, pu)
        m, nu = len(mixed_x), int(unl.sum())
        with wrapper.optim_context(net):
            feats, logits, proj = net(torch.cat([mixed_x, take_rows(views[2], unl),
                                                 take_rows(views[3], unl)]), mode='proj')
            logits_mix = logits[:m]
            weights = self.mixup_weights(net, feats[:m], logits_mix, all_t, perm)
            lx, lu = mixmatch_losses(logits_mix, mixed_t, nx, weights)
            lc = simclr_loss(proj[m:m + nu], proj[m + nu:], self.contrast_temperature) \
                if nu > 1 else logits.sum() * 0
            ramp = self.lambda_u_now()
            penalty = uniform_prior_penalty(logits_mix.softmax(1))
            loss = lx + ramp * lu + self.lambda_c * lc + self.lambda_p * penalty
        wrapper.update_params(loss)
        log.update({f'{name}.loss_x': lx.detach(), f'{name}.loss_u': lu.detach(),
                    f'{name}.loss_c': lc.detach(), f'{name}.penalty': penalty.detach(),
                    f'{name}.loss': loss.detach(),
                    f'{name}.labelled': w.new_tensor(float(lab.float().mean()))})
        if weights is not None:
            log[f'{name}.hmw_weight'] = weights.mean().detach()

    def warmup_logits(self, logits):
        if self.hmw is not None and self.hmw['normalized_logits']:
            return F.normalize(logits, dim=1)
        return logits

    @torch.no_grad()
    def mixup_weights(self, net, feats, logits, targets, perm):
        """HMW's weight of each mixed sample (None without ``hmw``): the two labels of a mixed
        sample are the argmax of the targets of its two inputs (the authors' code)."""
        if self.hmw is None:
            return None
        dist = class_distances(feats, unwrap(net).class_weights(), logits,
                               self.hmw['hyperspherical'])
        labels_a = targets.argmax(dim=1)
        return mixup_hm_weights(dist, labels_a, labels_a[perm], self.hmw['alpha'],
                                self.hmw['beta'], self.hmw['topk'], self.hmw['use_aum'],
                                self.hmw['use_tkum'])
