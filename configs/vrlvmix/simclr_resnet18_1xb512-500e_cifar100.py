# SimCLR pretraining on the CIFAR-100 training images (see the CIFAR-10 config).
_base_ = ['./simclr_resnet18_1xb512-500e_cifar10.py']
data_preprocessor = dict(mean=[129.304, 124.070, 112.434], std=[68.170, 65.392, 70.418])
train_dataloader = dict(dataset=dict(type='mmnoisy.CIFAR100', data_root='data/cifar100'))
