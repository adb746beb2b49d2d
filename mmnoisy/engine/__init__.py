from .hooks import *  # noqa: F401,F403
from .runner import NoisyRunner
from .sample_record import SampleRecord

__all__ = ['NoisyRunner', 'SampleRecord']
