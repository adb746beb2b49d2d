_base_ = ['./vrlvmix_preactresnet18_1xb64-300e_cifar10-asym40.py']  # short alias
