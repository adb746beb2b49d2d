_base_ = ['./rolr_preactresnet18_1xb448-515e_cifar100-sym50.py']  # short alias
