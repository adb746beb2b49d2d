"""Backbones this package adds to mmpretrain's."""
import pytest
import torch

from mmnoisy.models.backbones import InceptionResNetV2


def test_inception_resnet_v2_size_and_shapes():
    # the published network has 55,843,464 parameters with its 1000-class classifier
    # (1536 x 1000 + 1000), i.e. 54,306,464 in the backbone
    net = InceptionResNetV2()
    assert sum(p.numel() for p in net.parameters()) == 54_306_464
    assert net.out_channels == 1536
    # a lighter net of the same shape: 299 -> 8 x 8, 75 -> 1 x 1 (the smallest input)
    small = InceptionResNetV2(blocks=(1, 1, 1)).eval()
    with torch.no_grad():
        assert small(torch.zeros(1, 3, 299, 299))[0].shape == (1, 1536, 8, 8)
        assert small(torch.zeros(2, 3, 75, 75))[0].shape == (2, 1536, 1, 1)
    # the last Block8 adds without a ReLU (scale 1), the others with ReLU
    assert not net.stage8[-1].relu and net.stage8[-1].scale == 1.0
    assert net.stage8[0].relu and net.stage35[0].scale == 0.17


def test_preact_resnet18_is_the_authors_network():
    """The noisy-label papers' PreResNet.py: 11,171,274 parameters with a 10-class linear head
    (the He et al. style, with a final BN instead of the stem BN: 11,172,170)."""
    import torch.nn.functional as F

    from mmnoisy.models.backbones import PreActResNet
    from mmnoisy.models.backbones.preact_resnet import PreActBlock
    head = 512 * 10 + 10
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(PreActResNet(18)) + head == 11_171_274
    assert count(PreActResNet(18, style='he2016')) + head == 11_172_170
    # pooled features are signed (no BN-ReLU after the last stage) in the authors' style
    torch.manual_seed(0)
    net = PreActResNet(18).eval()
    with torch.no_grad():
        feat = net(torch.randn(4, 3, 32, 32))[0].mean(dim=(2, 3))
        assert (feat < 0).any() and (feat > 0).any()
        he = PreActResNet(18, style='he2016').eval()
        assert (he(torch.randn(4, 3, 32, 32))[0] >= 0).all()
    # an identity block adds its activated input relu(bn1(x)), not x
    block = PreActBlock(8, 8).eval()
    for bn in (block.bn1, block.bn2):
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
    x = torch.randn(2, 8, 5, 5)
    with torch.no_grad():
        a = F.relu(block.bn1(x))
        expect = block.conv2(F.relu(block.bn2(block.conv1(a)))) + a
        assert torch.allclose(block(x), expect, atol=1e-6)
        block.activated_shortcut = False
        assert torch.allclose(block(x), expect - a + x, atol=1e-6)
    with pytest.raises(ValueError, match='style'):
        PreActResNet(18, style='v2')
