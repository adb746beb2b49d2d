# CIFAR-100 with synthetic label noise (default: symmetric 50%, seed 1).
# data_root holds cifar-100-python/. Samples carry coarse labels for superclass noise.
_base_ = ['./noisy_cifar10.py']

dataset_type = 'CIFAR100'
data_root = 'data/cifar100'

data_preprocessor = dict(
    num_classes=100,
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418])

train_dataloader = dict(dataset=dict(dataset=dict(type=dataset_type, data_root=data_root)))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
