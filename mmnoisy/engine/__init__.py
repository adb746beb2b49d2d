from .hooks import *  # noqa: F401,F403
from .runner import NoisyRunner

__all__ = ['NoisyRunner']
