from .linear_head import NoisyLinearClsHead

__all__ = ['NoisyLinearClsHead']
