"""RoLR (Chen et al., AAAI 2023): robust label refurbishment. Every sample is used; its target
is w * onehot(y) + (1 - w) * q, w the peer's GMM confidence and q the sharpened mean of both
networks' weak-view predictions; the network learns the target on the strong view."""
import numpy as np
import torch

from mmnoisy.models.losses import (refurbish, sharpen, soft_cross_entropy,
                                   uniform_prior_penalty)
from mmnoisy.registry import MODELS
from .co_training import CoTrainingLearner, network_rows, take_rows


@MODELS.register_module()
class RoLR(CoTrainingLearner):
    """Args:
        temperature (float): T of the sharpening p^(1/T) (paper and code default: 1, no
            sharpening; the code raises q to the power T, which agrees at T = 1).
        lambda_l (float): weight of the soft cross-entropy (1).
        lambda_p (float): weight of the uniform-prior penalty (code default 1; README 2).
    Views: 0 = weak, 1 = strong. ``aux_losses`` (NegScale) act on the strong view's
    features, the forward that carries the gradient. Batches: the published configs use
    ``CoTrainingBatchSampler`` as the authors' loop draws them (warm-up: batches of 64, one
    pass, each network its own epoch; then each network's epoch is 2 passes of batches of
    448 over all samples); with a plain sampler both networks share each batch.
    """
    num_views = 2
    two_stream = True

    def __init__(self, temperature=1.0, lambda_l=1.0, lambda_p=1.0, **kwargs):
        super().__init__(**kwargs)
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        if lambda_l < 0 or lambda_p < 0:
            raise ValueError(f'lambda_l and lambda_p must be >= 0, got {lambda_l}, {lambda_p}')
        self.temperature, self.lambda_l, self.lambda_p = temperature, lambda_l, lambda_p

    def labelled_sets(self, epoch):
        """For ``CoTrainingBatchSampler``: every sample, for each network (RoLR refurbishes
        all of them); None in warm-up."""
        if epoch < self.warmup_epochs:
            return None
        return [np.ones(len(self.selection(n).trust), bool) for n in self.networks]

    def method_step(self, views, labels, sample_idx, optim_wrapper, streams=None):
        log = {}
        for name in self.networks:
            rows = network_rows(streams, name)
            if rows is None:
                x_weak, x_strong, y, idx = views[0], views[1], labels, sample_idx
            elif rows.any():
                x_weak, x_strong = take_rows(views[0], rows), take_rows(views[1], rows)
                y, idx = take_rows(labels, rows), sample_idx[rows]
            else:
                continue
            onehot = self.onehot(y)
            net, wrapper = getattr(self, name), optim_wrapper[name]
            w = self.trust(name, idx, x_weak.device)
            with torch.no_grad():
                q = (net(x_weak, mode='tensor').softmax(1) +
                     self.eval_forward(self.peer_of(name), x_weak).softmax(1)) / 2
                target = refurbish(onehot, w, sharpen(q, self.temperature))
            with wrapper.optim_context(net):
                feats, logits = net(x_strong, mode='both')
                ce = soft_cross_entropy(logits, target).mean()
                penalty = uniform_prior_penalty(logits.softmax(1))
                loss = self.add_aux_losses(name, self.lambda_l * ce + self.lambda_p * penalty,
                                           feats, logits, y, log)
            wrapper.update_params(loss)
            log.update({f'{name}.loss_refurb': ce.detach(), f'{name}.penalty': penalty.detach(),
                        f'{name}.loss': loss.detach(), f'{name}.trust': w.mean()})
        return log
