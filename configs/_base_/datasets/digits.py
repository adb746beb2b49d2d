# scikit-learn's 8x8 digits (ships with scikit-learn: works offline), 40% symmetric noise.
data_preprocessor = dict(num_classes=10, mean=[78.0], std=[96.0])

train_pipeline = [dict(type='PackNoisyInputs')]
test_pipeline = [dict(type='PackNoisyInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='NoisyLabelDataset',
        dataset=dict(type='Digits', split='train', pipeline=train_pipeline),
        noise=dict(type='symmetric', rate=0.4, seed=1)),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=256,
    num_workers=0,
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='Digits', split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='LastKAccuracy', topk=(1, ), last_k=10)
test_dataloader = val_dataloader
test_evaluator = val_evaluator
