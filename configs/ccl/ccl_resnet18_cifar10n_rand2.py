_base_ = ['./ccl_resnet18_1xb128-500e_cifar10n-rand2.py']  # short alias
