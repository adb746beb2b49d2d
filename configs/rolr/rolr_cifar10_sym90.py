_base_ = ['./rolr_preactresnet18_1xb448-515e_cifar10-sym90.py']  # short alias
