_base_ = ['./ccl_resnet18_1xb128-500e_cifar100n-noisy.py']  # short alias
