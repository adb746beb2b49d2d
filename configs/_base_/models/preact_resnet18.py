# PreAct-ResNet-18 (DivideMix, UNICON, HMW, VRLVMix).
model = dict(
    type='NoisyClassifier',
    backbone=dict(type='PreActResNet', depth=18),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ))
