# CCL on CIFAR100 with 40% instance-dependent noise.
_base_ = ['./ccl_resnet18_1xb128-500e_cifar100-sym20.py']
train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='instance', rate=0.4, seed=1)))
