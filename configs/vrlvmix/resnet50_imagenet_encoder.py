# The feature encoder of VRLVMix's balancing on Clothing1M: torchvision's ImageNet ResNet-50
# (the network the Clothing1M runs start from), for tools/vrlvmix/mine_neighbours.py without a
# checkpoint argument. Not trained: only its backbone and input normalisation are used.
default_scope = 'mmpretrain'
data_preprocessor = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                         to_rgb=True)
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet', depth=50, num_stages=4, out_indices=(3, ), style='pytorch',
                  init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(type='GlobalAveragePooling'))
