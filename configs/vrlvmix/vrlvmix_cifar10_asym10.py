_base_ = ['./vrlvmix_preactresnet18_1xb128-300e_cifar10-asym10.py']  # short alias
