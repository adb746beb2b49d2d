"""DivideMix (Li, Socher & Hoi, ICLR 2020): co-divide by the peer's GMM, then MixMatch with
label co-refinement and co-guessing."""
import torch

from mmnoisy.models.losses import (linear_rampup, mixmatch_lambda, mixmatch_losses, mixup,
                                   refurbish, sharpen, uniform_prior_penalty)
from mmnoisy.registry import MODELS
from .ccl import CCLTerms
from .co_training import CoTrainingLearner, network_rows, take_rows


@MODELS.register_module()
class DivideMix(CoTrainingLearner):
    """Args:
        p_threshold (float): tau; a sample is labelled for network m when the GMM of its
            peer gives clean probability > tau (paper: 0.5; 0.6 at 90% noise).
        temperature (float): T of the sharpening (0.5).
        alpha (float): MixMatch's Beta(alpha, alpha) (4 on CIFAR).
        lambda_u (float): weight of the unlabelled loss, ramped up linearly over
            ``rampup_length`` epochs after warm-up (per setting, see the configs).
        lambda_p (float): weight of the uniform-prior penalty (1).
        target_forwards (str): 'separate' (the authors' code: the no-grad forwards of the
            targets one per view and per labelled / unlabelled set, each with its own BN batch
            statistics) or 'joint' (one forward of all of them: fewer kernel launches).
        ccl (dict | None): add CCL's cross-view and/or cross-model terms (the plug-in
            :class:`~mmnoisy.models.learners.ccl.CCLTerms`; CCL Table 5, "DivideMix + L_CVL +
            L_CML"): ``dict(cvl=True, cml=True, temperature=0.5, threshold=0.95)``; needs a
            third, strong view.

    Batches: with ``CoTrainingBatchSampler`` (the published configs) each network draws a
    labelled batch from its labelled set and an unlabelled batch from the rest, as the
    authors' two loaders do; with a plain sampler both networks share one batch, split by each
    network's table (``labelled_sets`` / README, "Batching"). Each sample needs
    two weak views (``num_views`` = 2). ``aux_losses`` (NegScale) act on the features of the
    first weak view of the whole batch, un-mixed (their pairs come from the given labels),
    which is appended to the mixed batch of the network's one forward with gradient.
    """
    num_views = 2
    two_stream = True

    def __init__(self, p_threshold=0.5, temperature=0.5, alpha=4.0, lambda_u=25.0,
                 lambda_p=1.0, rampup_length=16, ccl=None, target_forwards='separate',
                 **kwargs):
        super().__init__(**kwargs)
        if target_forwards not in ('separate', 'joint'):
            raise ValueError("target_forwards must be 'separate' or 'joint', got "
                             f'{target_forwards!r}')
        self.target_forwards = target_forwards
        if not 0 <= p_threshold < 1:
            raise ValueError(f'p_threshold must be in [0, 1), got {p_threshold}')
        if temperature <= 0 or alpha <= 0:
            raise ValueError(f'temperature and alpha must be > 0, got {temperature}, {alpha}')
        if lambda_u < 0 or lambda_p < 0:
            raise ValueError(f'lambda_u and lambda_p must be >= 0, got {lambda_u}, {lambda_p}')
        self.p_threshold, self.temperature, self.alpha = p_threshold, temperature, alpha
        self.lambda_u, self.lambda_p, self.rampup_length = lambda_u, lambda_p, rampup_length
        self.ccl = CCLTerms.build(ccl)
        if self.ccl is not None:
            self.num_views = CCLTerms.num_views

    def method_step(self, views, labels, sample_idx, optim_wrapper, streams=None):
        """One step of each network: on the whole batch, its labelled rows split by the
        tables (``streams`` None), or on its own rows of a two-stream batch, labelled as the
        stream says (``CoTrainingBatchSampler``)."""
        log = {}
        for name in self.networks:
            rows = network_rows(streams, name)
            if rows is None:
                self.network_step(name, views, labels, sample_idx, None, optim_wrapper, log)
            elif rows.any():
                k = 2 * self.networks.index(name)
                self.network_step(name, [take_rows(v, rows) for v in views],
                                  take_rows(labels, rows), sample_idx[rows],
                                  streams[rows] == k, optim_wrapper, log)
        log['lambda_u'] = views[0].new_tensor(self.lambda_u_now())
        return log

    def labelled_sets(self, epoch):
        """Each network's labelled set for ``epoch`` (bool masks over the training set) for
        ``CoTrainingBatchSampler``; None in warm-up (every sample, plain CE)."""
        if epoch < self.warmup_epochs:
            return None
        return [self.labelled_mask(name) for name in self.networks]

    def labelled_mask(self, name):
        """Network ``name``'s labelled set: its selection's ``labelled`` (UNICON, VRLVMix), or
        the samples whose peer-GMM clean probability exceeds ``p_threshold`` (co-divide)."""
        sel = self.selection(name)
        if sel.labelled is not None:
            return sel.labelled.numpy().astype(bool)
        return sel.trust.numpy() > self.p_threshold

    def network_step(self, name, views, labels, sample_idx, lab, optim_wrapper, log):
        """Network ``name``'s update on ``views`` (its rows); ``lab`` is the host mask of its
        labelled rows, or None to take them from its confidence table."""
        x1 = views[0]
        onehot = self.onehot(labels)
        net, wrapper = getattr(self, name), optim_wrapper[name]
        w = self.trust(name, sample_idx, 'cpu')
        if lab is None:
            lab = w > self.p_threshold  # on the host: the masks cost no GPU sync
        w = w.to(x1.device)
        px, pu = self.co_guess(name, views, lab, onehot, w)
        mixed_x, mixed_t, nx, _, _ = self.mix(name, views[0], views[1], lab, px, pu)
        if self.ccl is not None:
            extra = self.ccl.extra_inputs(views)
        else:
            extra = [views[0]] if self.aux_losses else []
        with wrapper.optim_context(net):
            feats, logits = net(torch.cat([mixed_x] + extra), mode='both')
            logits_mix = logits[:len(mixed_x)]
            lx, lu = mixmatch_losses(logits_mix, mixed_t, nx)
            ramp = self.lambda_u_now()
            penalty = uniform_prior_penalty(logits_mix.softmax(1))
            loss = lx + ramp * lu + self.lambda_p * penalty
            if self.ccl is not None:
                loss = loss + self.ccl.loss(self, name, feats, logits, len(mixed_x), onehot,
                                            w, x1, log)
            if self.aux_losses:
                start, b = len(mixed_x), len(labels)
                loss = self.add_aux_losses(name, loss, feats[start:start + b],
                                           logits[start:start + b], labels, log)
        wrapper.update_params(loss)
        log.update({f'{name}.loss_x': lx.detach(), f'{name}.loss_u': lu.detach(),
                    f'{name}.penalty': penalty.detach(), f'{name}.loss': loss.detach(),
                    f'{name}.labelled': w.new_tensor(float(lab.float().mean()))})

    # the pieces UNICON and VRLVMix reuse ---------------------------------------------------
    def batch_selection(self, name, sample_idx, device):
        """(labelled mask on the host, label weights on ``device``) of the batch for network
        ``name``, from its selection's ``labelled`` and ``trust`` (UNICON, VRLVMix)."""
        sel = self.selection(name)
        return sel.labelled[sample_idx.cpu()], self.trust(name, sample_idx, device)

    def lambda_u_now(self):
        """lambda_u times its linear ramp over ``rampup_length`` epochs after warm-up."""
        return self.lambda_u * linear_rampup(self.progress, self.warmup_epochs,
                                             self.rampup_length)

    @torch.no_grad()
    def co_guess(self, name, views, lab, onehot, w):
        """Sharpened targets from the two weak views ``views[0]``, ``views[1]``: label
        co-refinement w * y + (1 - w) * own prediction for the labelled rows ``lab`` (a host
        mask), and co-guessing (own and peer's predictions) for the others. The own network
        runs in train mode, the peer in eval mode (authors' code). ``target_forwards``:
        'separate' runs the own network once per view and per set (unlabelled view 1, view 2,
        labelled view 1, view 2), as the DivideMix / UNICON code: in train mode each forward
        normalises with its own batch statistics and updates BN's running statistics with
        unmixed images four times per step; 'joint' is one forward of everything."""
        x1, x2 = views[0], views[1]
        unl = ~lab
        net = getattr(self, name)
        parts = [take_rows(x1, unl), take_rows(x2, unl), take_rows(x1, lab), take_rows(x2, lab)]
        if self.target_forwards == 'joint':
            out = net(torch.cat(parts), mode='tensor').softmax(1)
            own = list(out.split([len(p) for p in parts]))
        else:
            own = [net(p, mode='tensor').softmax(1) if len(p) else p.new_zeros(0, self.num_classes)
                   for p in parts]
        own1_u, own2_u, own1_l, own2_l = own
        if unl.any():
            peer1, peer2 = self.eval_forward(self.peer_of(name), torch.cat(
                parts[:2])).softmax(1).chunk(2)
        else:
            peer1 = peer2 = own1_u
        px = sharpen(refurbish(take_rows(onehot, lab), take_rows(w, lab), (own1_l + own2_l) / 2),
                     self.temperature)
        pu = sharpen((own1_u + own2_u + peer1 + peer2) / 4, self.temperature)
        return px, pu

    def mix(self, name, xa, xb, lab, px, pu, extra=None):
        """MixMatch of the labelled rows of both views (targets ``px``), then the extra
        labelled rows ``extra`` = (inputs, targets) if given (VRLVMix's mixup pairs), then the
        unlabelled rows (``pu``): (mixed inputs, mixed targets, number of labelled rows,
        unmixed targets, permutation)."""
        unl = ~lab
        ex, et = extra if extra is not None else (xa[:0], px[:0])
        all_x = torch.cat([take_rows(xa, lab), take_rows(xb, lab), ex, take_rows(xa, unl),
                           take_rows(xb, unl)])
        all_t = torch.cat([px, px, et, pu, pu])
        lam = mixmatch_lambda(self.alpha, self.rng(name))
        perm = torch.randperm(len(all_x), generator=self.torch_generator('cpu', name)).to(
            all_x.device)
        mixed_x, mixed_t = mixup(all_x, all_t, lam, perm)
        return mixed_x, mixed_t, 2 * int(lab.sum()) + len(ex), all_t, perm
