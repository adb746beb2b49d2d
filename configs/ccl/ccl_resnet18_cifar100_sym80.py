_base_ = ['./ccl_resnet18_1xb128-500e_cifar100-sym80.py']  # short alias
