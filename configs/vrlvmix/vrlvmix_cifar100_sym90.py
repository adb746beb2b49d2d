_base_ = ['./vrlvmix_preactresnet18_1xb64-300e_cifar100-sym90.py']  # short alias
