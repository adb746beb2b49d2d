from .detection import NoisyLabelDetectionMetric
from .last_k_accuracy import LastKAccuracy, mean_of_last

__all__ = ['NoisyLabelDetectionMetric', 'LastKAccuracy', 'mean_of_last']
