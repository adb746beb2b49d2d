"""Collaborative Cross Learning (Fan & Li, AAAI 2025) on RoLR's skeleton: the loss of Eq. 15
(:func:`mmnoisy.models.losses.ccl_losses`) for each network, weighted per sample by the GMM
confidence w computed from its peer (Eq. 16)."""
import torch

from mmnoisy.models.losses import CCL_GROUPS, CCL_TERMS, ccl_losses
from mmnoisy.registry import MODELS
from .co_training import CoTrainingLearner


@MODELS.register_module()
class CCL(CoTrainingLearner):
    """Args:
        temperature (float): tau of the contrastive distributions, Eq. 5 and 9 (paper: 0.5).
        threshold (float): c of confident learning, Eq. 7 (paper: 0.95); 0 = the
            "w/o threshold" ablation.
        loss_weights (dict): multiplier of each term of Eq. 15 (``ce, pg, acl, vm, cml_ce,
            cclrl, mm, div``), 1 by default; 0 switches a term off (Table 7 ablations).
        refurbished_labels (bool): positives of L_CCLRL from y' (Eq. 10); False = vanilla
            contrastive ("w/o refurbished labels").
        weak_view_grad (bool): let gradients flow through the network's own weak-view
            embeddings too. Default False: the strong view is the anchor aligned to the weak
            view (Sec. "Semantic-wise Decoupling"), the weak view is a target as in RoLR,
            computed without gradient, which keeps an iteration at RoLR's cost (True: one
            forward/backward over both views, about 1.4x).
    Views: 0 = weak, 1 = strong. Embeddings are the networks' pooled features;
    ``aux_losses`` (NegScale) act on the strong view's.
    """
    num_views = 2

    def __init__(self, temperature=0.5, threshold=0.95, loss_weights=None,
                 refurbished_labels=True, weak_view_grad=False, **kwargs):
        super().__init__(**kwargs)
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        if not 0 <= threshold <= 1:
            raise ValueError(f'threshold c must be in [0, 1], got {threshold}')
        loss_weights = dict(loss_weights or {})
        unknown = set(loss_weights) - set(CCL_TERMS)
        if unknown:
            raise ValueError(f'unknown CCL loss terms {sorted(unknown)}; terms are {CCL_TERMS}')
        if any(v < 0 for v in loss_weights.values()):
            raise ValueError(f'loss_weights must be >= 0, got {loss_weights}')
        self.temperature, self.threshold = temperature, threshold
        self.loss_weights, self.refurbished_labels = loss_weights, bool(refurbished_labels)
        self.weak_view_grad = bool(weak_view_grad)

    def method_step(self, views, labels, sample_idx, optim_wrapper):
        x_weak, x_strong = views[0], views[1]
        onehot = self.onehot(labels)
        b = len(labels)
        log = {}
        for name in self.networks:
            net, wrapper = getattr(self, name), optim_wrapper[name]
            w = self.trust(name, sample_idx, x_weak.device)
            with torch.no_grad():
                peer_feat, peer_logits = self.eval_forward(self.peer_of(name), x_weak,
                                                           mode='both')
                if not self.weak_view_grad:
                    feat_w, logits_w = net(x_weak, mode='both')
            with wrapper.optim_context(net):
                if self.weak_view_grad:
                    feats, logits = net(torch.cat([x_weak, x_strong]), mode='both')
                    feat_w, feat_s, logits_w, logits_s = feats[:b], feats[b:], logits[:b], \
                        logits[b:]
                else:
                    feat_s, logits_s = net(x_strong, mode='both')
                terms = ccl_losses(logits_w, logits_s, feat_w, feat_s,
                                   peer_logits.softmax(1), peer_feat, onehot, w,
                                   self.temperature, self.threshold, self.loss_weights,
                                   self.refurbished_labels)
                loss = self.add_aux_losses(name, terms['loss'], feat_s, logits_s, labels, log)
            wrapper.update_params(loss)
            log.update({f'{name}.{k}': v.detach() for k, v in terms.items()})
            log[f'{name}.loss'] = loss.detach()
            log[f'{name}.trust'] = w.mean()
        return log


class CCLTerms:
    """CCL's cross-view (L_CVL) and/or cross-model (L_CML) terms as a plug-in of another
    co-training learner's step (CCL Table 5, "DivideMix + L_CVL + L_CML"): ``DivideMix(ccl=
    dict(cvl=True, cml=True, temperature=0.5, threshold=0.95))``.

    The host appends the inputs of :meth:`extra_inputs` (the weak and the strong view of the
    whole batch, un-mixed) to its one forward with gradient and adds :meth:`loss` on their
    features and logits; the terms are Eq. 15's without CE and the diversity term (the host
    has its own), each sample weighted by the GMM confidence ``w`` from the peer.
    """
    #: views of each sample the terms need: weak, (second weak), strong
    num_views = 3

    def __init__(self, cvl=True, cml=True, temperature=0.5, threshold=0.95):
        groups = dict(cvl=bool(cvl), cml=bool(cml))
        self.temperature, self.threshold = temperature, threshold
        if not 0 <= threshold <= 1:
            raise ValueError(f'ccl threshold must be in [0, 1], got {threshold}')
        self.weights = {t: float(on) for g, on in groups.items() for t in CCL_GROUPS[g]}
        self.weights.update(ce=0.0, div=0.0)

    @classmethod
    def build(cls, cfg):
        """From the host's ``ccl`` option (None: no terms)."""
        if cfg is None:
            return None
        cfg = dict(cfg)
        known = ('cvl', 'cml', 'temperature', 'threshold')
        unknown = set(cfg) - set(known)
        if unknown:
            raise ValueError(f'unknown keys in ccl: {sorted(unknown)}')
        return cls(**cfg)

    @staticmethod
    def extra_inputs(views):
        """The weak and the strong view of the batch."""
        return [views[0], views[2]]

    def loss(self, learner, name, feats, logits, start, onehot, w, x_weak, log):
        """The terms for network ``name``: its features / logits from row ``start`` on are
        the weak then the strong view of the batch; the peer's are computed here."""
        b = len(onehot)
        feat_w, feat_s = feats[start:start + b], feats[start + b:]
        logits_w, logits_s = logits[start:start + b], logits[start + b:]
        peer_feat, peer_logits = learner.eval_forward(learner.peer_of(name), x_weak,
                                                      mode='both')
        terms = ccl_losses(logits_w, logits_s, feat_w, feat_s, peer_logits.softmax(1),
                           peer_feat, onehot, w, self.temperature, self.threshold,
                           self.weights)
        log[f'{name}.loss_ccl'] = terms['loss'].detach()
        return terms['loss']
