# A small CNN for CPU runs: 3 conv blocks (32-64-128), global average pooling, linear head.
model = dict(
    type='NoisyClassifier',
    backbone=dict(type='SmallCNN', in_channels=3, widths=(32, 64, 128)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ))
