# Clothing1M: 1M images with web labels (~38% noise), 14 classes; tested on clean_test.
dataset_type = 'Clothing1M'
data_root = 'data/clothing1m'

data_preprocessor = dict(
    num_classes=14, mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='RandomCrop', crop_size=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackNoisyInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackNoisyInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='NoisyLabelDataset',
        dataset=dict(type=dataset_type, data_root=data_root, split='noisy_train',
                     pipeline=train_pipeline),
        noise=dict(type='none')),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='clean_val',
                 pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='LastKAccuracy', topk=(1, ), last_k=10)
test_dataloader = dict(
    batch_size=128,
    num_workers=8,
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='clean_test',
                 pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = val_evaluator
