import pytest
import torch
from mmengine.logging import MessageHub
from mmpretrain.structures import DataSample

from mmnoisy.evaluation import LastKAccuracy, mean_of_last
from mmnoisy.registry import MODELS
from mmnoisy.utils import register_all_modules

register_all_modules()


def _model():
    return MODELS.build(dict(
        type='NoisyClassifier',
        backbone=dict(type='SmallCNN', in_channels=1, widths=(4, 8)),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=8,
                  loss=dict(type='CrossEntropyLoss'))))


def _samples(labels):
    return [DataSample(metainfo=dict(sample_idx=i)).set_gt_label(int(y))
            for i, y in enumerate(labels)]


def test_per_sample_weights_multiply_each_loss():
    torch.manual_seed(0)
    model = _model().eval()
    x = torch.randn(4, 1, 8, 8)
    labels = torch.tensor([0, 1, 2, 1])
    _, logits = model.features_and_logits(x)
    per = torch.nn.functional.cross_entropy(logits, labels, reduction='none')
    w = torch.tensor([1.0, 0.0, 0.5, 2.0])
    got = model.loss(x, _samples(labels), sample_weight=w)['loss']
    assert got.item() == pytest.approx((per * w).sum().item() / 4, rel=1e-5)
    # the same weights looked up by sample_idx from a table
    model.sample_weights = torch.tensor([1.0, 0.0, 0.5, 2.0, 9.0])
    assert model.loss(x, _samples(labels))['loss'].item() == pytest.approx(got.item())
    model.sample_weights = None
    plain = model.loss(x, _samples(labels))['loss']
    assert plain.item() == pytest.approx(per.mean().item(), rel=1e-5)
    with pytest.raises(ValueError, match='sample_weight must have shape'):
        model.loss(x, _samples(labels), sample_weight=torch.ones(3))


def test_features_and_logits():
    """The pooled backbone features and the linear head's logits of the same forward."""
    torch.manual_seed(0)
    model = _model().eval()
    x = torch.randn(2, 1, 8, 8)
    feat, logits = model.features_and_logits(x)
    pooled = model.backbone(x)[-1].mean(dim=(2, 3))   # GlobalAveragePooling
    assert torch.allclose(feat, pooled, atol=1e-6)
    assert torch.allclose(logits, feat @ model.head.fc.weight.T + model.head.fc.bias, atol=1e-6)
    assert torch.equal(model(x, mode='both')[1], logits)


def test_mean_of_last():
    assert mean_of_last({0: 10.0, 1: 20.0, 2: 30.0, 3: 40.0}, 2) == 35.0
    assert mean_of_last({5: 1.0}, 10) == 1.0
    assert mean_of_last({}, 10) is None


def test_last_k_accuracy_tracks_epochs_in_message_hub():
    hub = MessageHub.get_instance('test_last_k')
    metric = LastKAccuracy(last_k=2)
    for epoch, correct in ((0, 1), (1, 2), (2, 4)):
        hub.update_info('epoch', epoch)
        results = [dict(pred_score=torch.eye(4)[i], gt_label=torch.tensor([i if i < correct
                                                                           else (i + 1) % 4]))
                   for i in range(4)]
        out = metric.compute_metrics(results)
    assert out['top1'] == pytest.approx(100.0)
    assert out['top1_last2'] == pytest.approx((50.0 + 100.0) / 2)
    assert hub.get_info('mmnoisy/accuracy_history') == {0: 25.0, 1: 50.0, 2: 100.0}
