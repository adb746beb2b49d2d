# CCL on CIFAR-100 with 20% symmetric noise: as ccl_resnet18_1xb128-500e_cifar10-sym20.py with 100 classes and
# 30 warm-up epochs.
_base_ = ['./ccl_resnet18_1xb128-500e_cifar10-sym20.py']
model = dict(network=dict(head=dict(num_classes=100)), warmup_epochs=30)
data_preprocessor = dict(num_classes=100, mean=[129.304, 124.070, 112.434],
                         std=[68.170, 65.392, 70.418])
train_dataloader = dict(dataset=dict(dataset=dict(type='CIFAR100', data_root='data/cifar100')))
val_dataloader = dict(dataset=dict(type='CIFAR100', data_root='data/cifar100'))
test_dataloader = val_dataloader
