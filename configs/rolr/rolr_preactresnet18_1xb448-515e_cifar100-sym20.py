# RoLR on CIFAR-100 with 20% symmetric noise: as rolr_preactresnet18_1xb448-515e_cifar10-sym20.py with 100 classes.
_base_ = ['./rolr_preactresnet18_1xb448-515e_cifar10-sym20.py']
model = dict(network=dict(head=dict(num_classes=100)), warmup_epochs=15)
data_preprocessor = dict(num_classes=100, mean=[129.304, 124.070, 112.434],
                         std=[68.170, 65.392, 70.418])
train_dataloader = dict(dataset=dict(dataset=dict(type='CIFAR100', data_root='data/cifar100')))
val_dataloader = dict(dataset=dict(type='CIFAR100', data_root='data/cifar100'))
test_dataloader = val_dataloader
