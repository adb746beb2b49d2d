_base_ = ['./ccl_resnet18_1xb128-500e_cifar10-ins40.py']  # short alias
