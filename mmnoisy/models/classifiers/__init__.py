from .noisy_classifier import NoisyClassifier

__all__ = ['NoisyClassifier']
