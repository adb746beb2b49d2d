from .hooks import *  # noqa: F401,F403
from .optimizers import CoTrainingOptimWrapperConstructor
from .runner import NoisyRunner
from .sample_record import SampleRecord

__all__ = ['CoTrainingOptimWrapperConstructor', 'NoisyRunner', 'SampleRecord']
