_base_ = ['./vrlvmix_preactresnet18_1xb64-300e_cifar10-sym50.py']  # short alias
