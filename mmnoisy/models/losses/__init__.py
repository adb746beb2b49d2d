from .robust import SCE_CODE_LOG_ZERO, GCELoss, SCELoss, gce_loss, sce_loss

__all__ = ['SCELoss', 'GCELoss', 'sce_loss', 'gce_loss', 'SCE_CODE_LOG_ZERO']
