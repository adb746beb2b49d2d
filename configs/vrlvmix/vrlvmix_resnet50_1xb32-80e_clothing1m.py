# VRLVMix on Clothing1M (Table III): two ImageNet-pretrained ResNet-50 (torchvision's weights),
# SGD lr 0.002 (momentum 0.9, wd 1e-3), 80 epochs, the paper's settings; batch 32, lr/10 from
# epoch 40, 1 warm-up epoch, lambda_u = 0, p_threshold = 0.5 as DivideMix's Clothing1M setting
# (the paper gives no other values). The estimated noise (~0.38) stays below 0.6: no SCAN.
# Balancing uses ImageNet ResNet-50 features from a file (2048-d features of a million images
# would not fit in the per-sample record), made once with
#   python tools/vrlvmix/mine_neighbours.py configs/vrlvmix/resnet50_imagenet_encoder.py \
#       --data-config configs/vrlvmix/vrlvmix_resnet50_1xb32-80e_clothing1m.py \
#       --out-dir work_dirs/vrlvmix_neighbours/clothing1m
# Each epoch here is a full pass over the 1M noisy training images (the DivideMix code samples
# 1000 class-balanced batches per epoch instead; see the README).
_base_ = ['../_base_/datasets/clothing1m.py', '../_base_/co_training_runtime.py']
network = dict(
    type='NoisyClassifier',
    backbone=dict(type='ResNet', depth=50, num_stages=4, out_indices=(3, ), style='pytorch',
                  init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=14, in_channels=2048,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
model = dict(type='VRLVMix', network=network, warmup_epochs=1, p_threshold=0.5, lambda_u=0,
             temperature=0.5, alpha=0.5)
weak_weak_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[[
        dict(type='ResizeEdge', scale=256, edge='short'),
        dict(type='RandomCrop', crop_size=224),
        dict(type='RandomFlip', prob=0.5, direction='horizontal')]]),
    dict(type='PackNoisyInputs'),
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=weak_weak_pipeline)))
optim_wrapper = dict(constructor='CoTrainingOptimWrapperConstructor',
                     optimizer=dict(type='SGD', lr=0.002, momentum=0.9, weight_decay=1e-3))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[40], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=80, val_interval=1)
val_cfg = dict()
test_cfg = dict()
tau = 10
custom_hooks = [
    dict(type='CoTrainingHook'),
    dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch=0,
         signals=dict(loss=tau + 1, pred=tau + 1)),
    dict(type='VRLVSelectionHook', tau=tau, begin_epoch='warmup',
         features='work_dirs/vrlvmix_neighbours/clothing1m/features.npy'),
]
