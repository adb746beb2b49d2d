_base_ = ['./rolr_preactresnet18_1xb448-515e_cifar10-ins40.py']  # short alias
