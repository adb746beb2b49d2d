# CIFAR-10 with synthetic label noise (default: symmetric 50%, seed 1).
# data_root holds cifar-10-batches-py/ (the official python layout).
dataset_type = 'CIFAR10'
data_root = 'data/cifar10'

data_preprocessor = dict(
    num_classes=10,
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255],
    to_rgb=False)

# Reusable views. weak: random crop (pad 4) + flip. strong (RoLR/CCL): RandAugment with 3
# ops at random magnitudes + Cutout up to half the image, then the weak view.
weak_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
]
strong_pipeline = [
    dict(type='FixMatchRandAugment', num_ops=3),
    dict(type='RandomCutout', max_ratio=0.5),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
]
# weak + strong views of one image (img becomes a list of two images)
weak_strong_pipeline = [
    dict(type='MultiView', num_views=[1, 1], transforms=[weak_pipeline, strong_pipeline]),
    dict(type='PackNoisyInputs'),
]
# two weak views (DivideMix), and two weak + one strong (DivideMix + CCL's terms)
weak_weak_pipeline = [
    dict(type='MultiView', num_views=2, transforms=[weak_pipeline]),
    dict(type='PackNoisyInputs'),
]
weak_weak_strong_pipeline = [
    dict(type='MultiView', num_views=[2, 1], transforms=[weak_pipeline, strong_pipeline]),
    dict(type='PackNoisyInputs'),
]
# UNICON: weak, weak, strong, strong; its strong view is the weak one followed by
# AutoAugment's CIFAR-10 policy (used for CIFAR-100 too)
autoaugment_pipeline = weak_pipeline + [dict(type='CIFAR10AutoAugment')]
weak_weak_autoaugment_pipeline = [
    dict(type='MultiView', num_views=[2, 2], transforms=[weak_pipeline, autoaugment_pipeline]),
    dict(type='PackNoisyInputs'),
]
train_pipeline = weak_pipeline + [dict(type='PackNoisyInputs')]
test_pipeline = [dict(type='PackNoisyInputs')]

# default_collate stacks each view of a batch into one tensor inside the loader worker: one
# tensor per view crosses to the main process instead of one per image, which made loading
# the bottleneck on a GPU. 8 workers: with 2, RoLR's and CCL's strong views (RandAugment)
# still kept an H200 waiting (docs/benchmarks.md, GPU pack); the CPU-sized configs use 2.
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='NoisyLabelDataset',
        dataset=dict(type=dataset_type, data_root=data_root, split='train',
                     pipeline=train_pipeline),
        noise=dict(type='symmetric', rate=0.5, seed=1)),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=256,
    num_workers=2,
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
# test accuracy after every epoch and its mean over the last 10 epochs (papers' protocol)
val_evaluator = dict(type='LastKAccuracy', topk=(1, ), last_k=10)

test_dataloader = val_dataloader
test_evaluator = val_evaluator
