_base_ = ['./rolr_preactresnet18_1xb448-515e_cifar10-pair40.py']  # short alias
