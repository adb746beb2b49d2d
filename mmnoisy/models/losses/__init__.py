from .ccl import (CCL_GROUPS, CCL_TERMS, acl_loss, ccl_losses, cclrl_loss, confident_pg_loss,
                  mimicry_loss, similarity)
from .co_training import (coteaching_forget_rate, linear_rampup, mixmatch_lambda,
                          mixmatch_losses, mixup, negative_entropy, refurbish, scan_loss,
                          sharpen, simclr_loss, small_loss_indices, soft_cross_entropy,
                          uniform_prior_penalty)
from .robust import SCE_CODE_LOG_ZERO, GCELoss, SCELoss, gce_loss, sce_loss

__all__ = [
    'SCELoss', 'GCELoss', 'sce_loss', 'gce_loss', 'SCE_CODE_LOG_ZERO', 'soft_cross_entropy',
    'sharpen', 'refurbish', 'uniform_prior_penalty', 'negative_entropy', 'linear_rampup',
    'mixmatch_lambda', 'mixmatch_losses', 'simclr_loss', 'scan_loss', 'mixup', 'coteaching_forget_rate',
    'small_loss_indices', 'similarity', 'acl_loss', 'mimicry_loss', 'confident_pg_loss',
    'cclrl_loss', 'ccl_losses', 'CCL_TERMS', 'CCL_GROUPS'
]
