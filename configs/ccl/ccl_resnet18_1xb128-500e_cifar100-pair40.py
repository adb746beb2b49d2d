# CCL on CIFAR100 with 40% pair-flip noise.
_base_ = ['./ccl_resnet18_1xb128-500e_cifar100-sym20.py']
train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='pairflip', rate=0.4, seed=1)))
