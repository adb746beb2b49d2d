# CCL on CIFAR-100N, human fine labels (40.2% noise).
_base_ = ['./ccl_resnet18_1xb128-500e_cifar100-sym20.py']
train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='cifarn', path='data/cifar100n/CIFAR-100_human.pt', label='noisy')))
