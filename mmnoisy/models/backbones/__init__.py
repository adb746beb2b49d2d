from .preact_resnet import PreActResNet
from .small_cnn import SmallCNN

__all__ = ['PreActResNet', 'SmallCNN']
