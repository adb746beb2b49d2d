# Animal-10N: real-world noisy labels (~8%), 64x64 images, data_root holds training/ testing/.
dataset_type = 'Animal10N'
data_root = 'data/animal10n'

data_preprocessor = dict(
    num_classes=10, mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)

weak_pipeline = [
    dict(type='RandomCrop', crop_size=64, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
]
# strong view (RoLR/CCL): RandAugment at random magnitudes + Cutout, then the weak view
strong_pipeline = [
    dict(type='FixMatchRandAugment', num_ops=3),
    dict(type='RandomCutout', max_ratio=0.5),
] + weak_pipeline
weak_strong_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=[1, 1], transforms=[weak_pipeline, strong_pipeline]),
    dict(type='PackNoisyInputs'),
]
train_pipeline = [dict(type='LoadImageFromFile')] + weak_pipeline + [dict(type='PackNoisyInputs')]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackNoisyInputs')]

train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='NoisyLabelDataset',
        dataset=dict(type=dataset_type, data_root=data_root, split='train',
                     pipeline=train_pipeline),
        noise=dict(type='none')),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=256,
    num_workers=4,
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='LastKAccuracy', topk=(1, ), last_k=10)
test_dataloader = val_dataloader
test_evaluator = val_evaluator
