# RoLR on CIFAR10 sym80.
_base_ = ['./rolr_preactresnet18_1xb448-515e_cifar10-sym20.py']
train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='symmetric', rate=0.8, seed=1, include_true_class=True)))
