_base_ = ['./ccl_resnet18_1xb128-500e_cifar100-pair40.py']  # short alias
