# CCL on CIFAR100 with 80% symmetric noise.
_base_ = ['./ccl_resnet18_1xb128-500e_cifar100-sym20.py']
train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='symmetric', rate=0.8, seed=1)))
