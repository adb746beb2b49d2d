"""A small, fast CNN for CPU runs, tests and benchmarks."""
import torch.nn as nn
from mmengine.model import BaseModule

from mmnoisy.registry import MODELS


@MODELS.register_module()
class SmallCNN(BaseModule):
    """``len(widths)`` blocks of conv3x3-BN-ReLU, max-pooling between blocks.

    Returns a 1-tuple with the last feature map (use ``GlobalAveragePooling`` as neck).

    Args:
        in_channels (int): 3 for colour images, 1 for digits / Fashion-MNIST.
        widths (tuple[int]): channels of each block.
        convs_per_block (int): conv layers per block.
        norm (bool): BatchNorm after each conv (False: train and eval mode compute the same
            function, which tests of recording rely on).
        pool_last (bool): max-pool after the last block too (for a flattening neck: 28x28
            inputs and three blocks give 128 x 3 x 3 features).
    """

    def __init__(self, in_channels=3, widths=(32, 64, 128), convs_per_block=1, norm=True,
                 pool_last=False, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        layers, prev = [], in_channels
        for i, width in enumerate(widths):
            for _ in range(convs_per_block):
                layers.append(nn.Conv2d(prev, width, 3, padding=1, bias=not norm))
                if norm:
                    layers.append(nn.BatchNorm2d(width))
                layers.append(nn.ReLU(inplace=True))
                prev = width
            if i < len(widths) - 1 or pool_last:
                layers.append(nn.MaxPool2d(2))
        self.layers = nn.Sequential(*layers)
        self.out_channels = prev

    def forward(self, x):
        return (self.layers(x), )
