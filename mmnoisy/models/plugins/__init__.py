from .negscale import NegScale, aux_loss_terms, build_aux_losses

__all__ = ['NegScale', 'build_aux_losses', 'aux_loss_terms']
