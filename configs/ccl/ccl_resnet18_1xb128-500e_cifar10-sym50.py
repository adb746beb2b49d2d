# CCL on CIFAR10 with 50% symmetric noise.
_base_ = ['./ccl_resnet18_1xb128-500e_cifar10-sym20.py']
train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='symmetric', rate=0.5, seed=1)))
