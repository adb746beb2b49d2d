_base_ = ['./vrlvmix_preactresnet18_1xb64-300e_cifar100-asym40.py']  # short alias
