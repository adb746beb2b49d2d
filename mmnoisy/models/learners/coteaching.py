"""Co-teaching (Han et al., NeurIPS 2018): each network picks its small-loss samples of the
batch and its peer learns from them."""
import torch.nn.functional as F

from mmnoisy.models.losses import coteaching_forget_rate, small_loss_indices
from mmnoisy.registry import MODELS
from .co_training import CoTrainingLearner


@MODELS.register_module()
class CoTeaching(CoTrainingLearner):
    """Args:
        forget_rate (float): tau, the fraction of each batch dropped once the schedule has
            ramped up; the paper sets it to the (assumed known) noise rate.
        num_gradual (int): T_k, epochs over which R(T) rises from 0 to tau (paper: 10); the
            first epoch already drops tau / (T_k - 1), as in the authors' loop.
        exponent (float): c of R(T) (paper: 1).
        schedule_offset (int): the schedule's entry for the first trained epoch: 1 = the
            authors' loop (``for epoch in range(1, n_epoch)`` reads ``rate_schedule[epoch]``);
            0 = start from ``rate_schedule[0]`` = 0 (the package's earlier behaviour).
    Other arguments: :class:`CoTrainingLearner` (Co-teaching has no warm-up: R starts at 0).
    """
    consumes = frozenset()  # its small-loss selection is made within each batch

    def __init__(self, forget_rate=0.5, num_gradual=10, exponent=1.0, schedule_offset=1,
                 **kwargs):
        super().__init__(**kwargs)
        coteaching_forget_rate(0, forget_rate)  # validates the range
        if int(num_gradual) < 0:
            raise ValueError(f'num_gradual must be >= 0, got {num_gradual}')
        self.forget_rate, self.num_gradual, self.exponent = forget_rate, int(num_gradual), \
            exponent
        if int(schedule_offset) not in (0, 1):
            raise ValueError(f'schedule_offset must be 0 or 1, got {schedule_offset}')
        self.schedule_offset = int(schedule_offset)

    def method_step(self, views, labels, sample_idx, optim_wrapper):
        x = views[0]
        # the code's epoch numbering: its first trained epoch is 1 (rate_schedule[1])
        rate = coteaching_forget_rate(self.epoch - self.warmup_epochs + self.schedule_offset,
                                      self.forget_rate,
                                      self.num_gradual, self.exponent)
        outs, selected = {}, {}
        for name in self.networks:
            net, wrapper = getattr(self, name), optim_wrapper[name]
            with wrapper.optim_context(net):
                feats, logits = net(x, mode='both')
                losses = F.cross_entropy(logits, labels, reduction='none')
            outs[name] = (feats, logits, losses)
            selected[name] = small_loss_indices(losses, 1 - rate)
        log = {'forget_rate': logits.new_tensor(rate)}
        for name in self.networks:
            # network `name` learns from the samples its peer found small-loss
            keep = selected[self.peer_of(name)]
            feats, logits, losses = outs[name]
            # aux losses (NegScale) on the samples the network learns from
            loss = self.add_aux_losses(name, losses[keep].mean(), feats[keep], logits[keep],
                                       labels[keep], log)
            optim_wrapper[name].update_params(loss)
            log[f'{name}.loss'] = loss.detach()
        return log
