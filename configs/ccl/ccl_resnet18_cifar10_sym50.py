_base_ = ['./ccl_resnet18_1xb128-500e_cifar10-sym50.py']  # short alias
