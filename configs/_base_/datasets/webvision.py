# mini-WebVision (first 50 classes, Google images): validated on WebVision val; tested on the
# ILSVRC2012 validation images of the same 50 classes (data/imagenet, mmpretrain layout).
dataset_type = 'MiniWebVision'
data_root = 'data/webvision'

data_preprocessor = dict(
    num_classes=50, mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)

load_pipeline = [dict(type='LoadImageFromFile'), dict(type='ResizeEdge', scale=320, edge='short')]
weak_pipeline = [
    dict(type='RandomCrop', crop_size=299),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
]
# strong view (RoLR/CCL): RandAugment at random magnitudes + Cutout, then the weak view
strong_pipeline = [
    dict(type='FixMatchRandAugment', num_ops=3),
    dict(type='RandomCutout', max_ratio=0.5),
] + weak_pipeline
weak_strong_pipeline = load_pipeline + [
    dict(type='MultiView', num_views=[1, 1], transforms=[weak_pipeline, strong_pipeline]),
    dict(type='PackNoisyInputs'),
]
train_pipeline = load_pipeline + weak_pipeline + [dict(type='PackNoisyInputs')]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=320, edge='short'),
    dict(type='CenterCrop', crop_size=299),
    dict(type='PackNoisyInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='NoisyLabelDataset',
        dataset=dict(type=dataset_type, data_root=data_root, split='train',
                     pipeline=train_pipeline),
        noise=dict(type='none')),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='val', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='LastKAccuracy', topk=(1, 5), last_k=10)
test_dataloader = dict(
    batch_size=128,
    num_workers=8,
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ImageNetVal', data_root='data/imagenet', num_classes=50,
                 pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = val_evaluator
