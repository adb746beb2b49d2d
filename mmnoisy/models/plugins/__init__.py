from .base import aux_loss_terms, build_aux_losses
from .negscale import NegScale

__all__ = ['NegScale', 'build_aux_losses', 'aux_loss_terms']
