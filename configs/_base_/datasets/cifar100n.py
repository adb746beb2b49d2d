# CIFAR-100N: CIFAR-100 images with human fine labels from CIFAR-100_human.pt (40.2% noise).
_base_ = ['./noisy_cifar100.py']

train_dataloader = dict(
    dataset=dict(noise=dict(
        _delete_=True, type='cifarn', path='data/cifar100n/CIFAR-100_human.pt',
        label='noisy')))
