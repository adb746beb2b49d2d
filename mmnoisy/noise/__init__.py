"""How labels get corrupted: pure numpy, seeded, no torch and no registry side effects."""
from .base import (NOISE_TYPES, NoiseConfigError, NoiseResult, apply_noise,
                   empirical_transition_matrix, register_noise)
from .label_file import CIFARN_KEYS, read_label_array, save_noise
from .synthetic import CIFAR10_ASYM_MAP, superclass_cycle

__all__ = [
    'NOISE_TYPES', 'NoiseConfigError', 'NoiseResult', 'apply_noise',
    'empirical_transition_matrix', 'register_noise', 'CIFARN_KEYS', 'read_label_array',
    'save_noise', 'CIFAR10_ASYM_MAP', 'superclass_cycle'
]
