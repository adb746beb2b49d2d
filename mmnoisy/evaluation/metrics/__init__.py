from .last_k_accuracy import LastKAccuracy, mean_of_last

__all__ = ['LastKAccuracy', 'mean_of_last']
