"""PreAct-ResNet for 32x32 inputs (He et al. 2016), the network of DivideMix, UNICON, HMW."""
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmnoisy.registry import MODELS


class PreActBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.shortcut = None
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False)

    def forward(self, x):
        out = F.relu(self.bn1(x))
        shortcut = self.shortcut(out) if self.shortcut is not None else x
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + shortcut


@MODELS.register_module()
class PreActResNet(BaseModule):
    """PreAct-ResNet-18/34 for CIFAR: 3x3 stem, four stages, final BN-ReLU.

    Returns a 1-tuple with the last feature map (512 channels); pair it with
    ``GlobalAveragePooling`` (DivideMix uses a 4x4 average pool on 32x32 inputs, the same).
    """
    arch = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3)}

    def __init__(self, depth=18, in_channels=3, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if depth not in self.arch:
            raise ValueError(f'depth must be one of {sorted(self.arch)}, got {depth}')
        self.conv1 = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
        layers, in_planes = [], 64
        for i, (planes, blocks) in enumerate(zip((64, 128, 256, 512), self.arch[depth])):
            for j in range(blocks):
                stride = 2 if (i > 0 and j == 0) else 1
                layers.append(PreActBlock(in_planes, planes, stride))
                in_planes = planes
        self.layers = nn.Sequential(*layers)
        self.bn = nn.BatchNorm2d(512)

    def forward(self, x):
        return (F.relu(self.bn(self.layers(self.conv1(x)))), )
