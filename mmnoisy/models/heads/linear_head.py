"""``NoisyLinearClsHead``: mmpretrain's linear head with the bias optional."""
import torch.nn as nn
from mmpretrain.models.heads import LinearClsHead

from mmnoisy.registry import MODELS


@MODELS.register_module()
class NoisyLinearClsHead(LinearClsHead):
    """``LinearClsHead`` whose ``fc`` may have no bias.

    HMW's code classifies with a bias-free linear layer initialised as PyTorch's default
    (Kaiming-uniform, a = sqrt(5)): ``bias=False, init_cfg=None`` (mmpretrain's default init is
    N(0, 0.01)). Its class weights are the prototypes of HMW's hyperspherical margins.
    """

    def __init__(self, num_classes, in_channels, bias=True, **kwargs):
        super().__init__(num_classes, in_channels, **kwargs)
        if not bias:
            self.fc = nn.Linear(self.in_channels, self.num_classes, bias=False)
