"""Pure functions from per-sample signals to trust: tensors/arrays in, arrays out, no runner."""
from .gmm import DegenerateInputError, GMMSplit, gmm_clean_posterior, normalise_losses
from .quality import selection_quality
from .signals import SIGNALS, check_signal_names, compute_signals

__all__ = [
    'DegenerateInputError', 'GMMSplit', 'gmm_clean_posterior', 'normalise_losses',
    'selection_quality', 'SIGNALS', 'check_signal_names', 'compute_signals'
]
