from .cifar import CIFAR10, CIFAR100
from .digits import Digits
from .fashion_mnist import FashionMNIST
from .file_list import Animal10N, Clothing1M, ImageNetVal, MiniWebVision
from .corrupted_copy import (CorruptedCopyDataset, SampleInfo, corrupt_image, corrupt_labels,
                             find_corrupted_copies, sample_info, training_label_info)
from .noisy_dataset import UNKNOWN, NoisyLabelDataset, find_noisy_dataset
from .samplers import CoTrainingBatchSampler, MultiPassSampler, stream_batches
from .transforms import FixMatchRandAugment, PackNoisyInputs, RandomCutout

__all__ = [
    'CIFAR10', 'CIFAR100', 'CorruptedCopyDataset', 'corrupt_image', 'corrupt_labels',
    'find_corrupted_copies', 'SampleInfo', 'sample_info', 'training_label_info', 'Digits',
    'FashionMNIST', 'Animal10N', 'Clothing1M', 'ImageNetVal', 'MiniWebVision',
    'CoTrainingBatchSampler', 'MultiPassSampler', 'stream_batches', 'NoisyLabelDataset',
    'find_noisy_dataset', 'UNKNOWN', 'PackNoisyInputs', 'FixMatchRandAugment', 'RandomCutout'
]
