# DivideMix on CIFAR-100 with 20% symmetric noise: as dividemix_preactresnet18_1xb64-300e_cifar10-sym20.py with
# 100 classes, 30 warm-up epochs and lambda_u = 25.
_base_ = ['./dividemix_preactresnet18_1xb64-300e_cifar10-sym20.py']
model = dict(network=dict(head=dict(num_classes=100)), warmup_epochs=30,
             lambda_u=25)
data_preprocessor = dict(num_classes=100, mean=[129.304, 124.070, 112.434],
                         std=[68.170, 65.392, 70.418])
train_dataloader = dict(dataset=dict(dataset=dict(type='CIFAR100', data_root='data/cifar100')))
val_dataloader = dict(dataset=dict(type='CIFAR100', data_root='data/cifar100'))
test_dataloader = val_dataloader
