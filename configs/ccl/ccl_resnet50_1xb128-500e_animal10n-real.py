# CCL on Animal-10N: ResNet-50 from scratch on the 64x64 images, 30 warm-up epochs;
# Adam lr 1e-3, batch 128, 500 epochs as on CIFAR (the paper gives no other schedule), T = 0.5, c = 0.95.
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/animal10n.py',
    '../_base_/schedules/adam_500e_ccl.py',
    '../_base_/co_training_runtime.py',
]
network = dict(
    type='NoisyClassifier',
    backbone={{_base_.model.backbone}},
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=2048,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
model = dict(_delete_=True, type='CCL', network=network, warmup_epochs=30,
             temperature=0.5, threshold=0.95)
train_dataloader = dict(dataset=dict(dataset=dict(pipeline={{_base_.weak_strong_pipeline}})))
