_base_ = ['./sce_preactresnet18_1xb64-250e_cifar10-sym50.py']  # short alias
