# DynaCor, Table 2 recipe on CIFAR-100 (data_root holds cifar-100-python/).
_base_ = ['./_dynacor_resnet34_cifar.py']
dataset_type = 'CIFAR100'
data_root = 'data/cifar100'
model = dict(head=dict(num_classes=100))
data_preprocessor = dict(num_classes=100, mean=[129.304, 124.070, 112.434],
                         std=[68.170, 65.392, 70.418])
train_dataloader = dict(dataset=dict(dataset=dict(
    dataset=dict(type=dataset_type, data_root=data_root))))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
