# CE on CIFAR-10 with 50% symmetric noise and the small CNN: the CPU-sized baseline used by
# the benchmarks (a few minutes per epoch on 2 cores for the full 50k).
_base_ = [
    '../_base_/models/small_cnn.py',
    '../_base_/datasets/noisy_cifar10.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(num_workers=2)  # the GPU configs' 8 would crowd 2 cores
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=30, eta_min=1e-4)
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=1)
val_cfg = dict()
test_cfg = dict()
