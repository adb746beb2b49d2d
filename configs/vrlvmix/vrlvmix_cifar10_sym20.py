_base_ = ['./vrlvmix_preactresnet18_1xb64-300e_cifar10-sym20.py']  # short alias
