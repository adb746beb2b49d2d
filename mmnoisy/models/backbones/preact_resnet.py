"""PreAct-ResNet for 32x32 inputs (He et al. 2016), the network of DivideMix, UNICON, RoLR, HMW.

Two styles:

- ``'authors'`` (default): the ``PreResNet.py`` the DivideMix, UNICON, RoLR and HMW code trains
  (11,171,274 parameters with a 10-class linear head): stem conv -> BN -> ReLU; an identity
  shortcut adds the block's *activated* input relu(bn1(x)) (a quirk of that file, which its
  projection shortcut shares); no BN-ReLU after the last stage, so the pooled features are
  signed (NegScale's orthogonality and HMW's cosine geometry see them).
- ``'he2016'``: the paper's pre-activation network: plain conv stem, identity shortcut of the
  block's input, final BN-ReLU (non-negative pooled features; 11,172,170 parameters).
"""
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmnoisy.registry import MODELS

STYLES = ('authors', 'he2016')


class PreActBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1, activated_shortcut=True):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.shortcut = None
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False)
        self.activated_shortcut = activated_shortcut

    def forward(self, x):
        out = F.relu(self.bn1(x))
        if self.shortcut is not None:
            shortcut = self.shortcut(out)
        else:
            shortcut = out if self.activated_shortcut else x
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + shortcut


@MODELS.register_module()
class PreActResNet(BaseModule):
    """PreAct-ResNet-18/34 for CIFAR: 3x3 stem, four stages (64-128-256-512).

    Args:
        depth (int): 18 or 34.
        in_channels (int): input channels.
        style (str): ``'authors'`` (the noisy-label papers' ``PreResNet.py``; default) or
            ``'he2016'`` (see the module docstring).

    Returns a 1-tuple with the last feature map (512 channels); pair it with
    ``GlobalAveragePooling`` (DivideMix uses a 4x4 average pool on 32x32 inputs, the same).
    """
    arch = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3)}

    def __init__(self, depth=18, in_channels=3, style='authors', init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if depth not in self.arch:
            raise ValueError(f'depth must be one of {sorted(self.arch)}, got {depth}')
        if style not in STYLES:
            raise ValueError(f'style must be one of {STYLES}, got {style!r}')
        self.depth, self.style = depth, style
        authors = style == 'authors'
        self.conv1 = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
        layers, in_planes = [], 64
        for i, (planes, blocks) in enumerate(zip((64, 128, 256, 512), self.arch[depth])):
            for j in range(blocks):
                stride = 2 if (i > 0 and j == 0) else 1
                layers.append(PreActBlock(in_planes, planes, stride, activated_shortcut=authors))
                in_planes = planes
        self.layers = nn.Sequential(*layers)
        if authors:
            self.stem_bn = nn.BatchNorm2d(64)
        else:
            self.bn = nn.BatchNorm2d(512)

    def forward(self, x):
        if self.style == 'authors':
            return (self.layers(F.relu(self.stem_bn(self.conv1(x)))), )
        return (F.relu(self.bn(self.layers(self.conv1(x)))), )
