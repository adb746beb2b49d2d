# CCL on mini-WebVision: ResNet-50 from scratch, 80 warm-up epochs (the appendix's
# ImageNet-like warm-up); batch 32 per GPU (4 GPUs: 128, the paper's batch);
# Adam lr 1e-3, 500 epochs as on CIFAR (the paper gives no other schedule), T = 0.5, c = 0.95.
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/webvision.py',
    '../_base_/schedules/adam_500e_ccl.py',
    '../_base_/co_training_runtime.py',
]
network = dict(
    type='NoisyClassifier',
    backbone={{_base_.model.backbone}},
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=50, in_channels=2048,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
model = dict(_delete_=True, type='CCL', network=network, warmup_epochs=80,
             temperature=0.5, threshold=0.95)
train_dataloader = dict(batch_size=32, dataset=dict(dataset=dict(pipeline={{_base_.weak_strong_pipeline}})))
