# CIFAR-10N: CIFAR-10 images with human labels from the official CIFAR-10_human.pt.
# label: 'aggre' (9.0% noise), 'rand1', 'rand2', 'rand3' (~17-18%), 'worst' (40.2%).
_base_ = ['./noisy_cifar10.py']

train_dataloader = dict(
    dataset=dict(noise=dict(
        _delete_=True, type='cifarn', path='data/cifar10n/CIFAR-10_human.pt', label='aggre')))
