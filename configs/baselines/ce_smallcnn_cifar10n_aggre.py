# CE with the small CNN on CIFAR-10N (human "aggre" labels, 9% noise); needs
# data/cifar10n/CIFAR-10_human.pt next to the CIFAR-10 files (see configs/_base_/datasets/cifar10n.py).
_base_ = ['./ce_smallcnn_cifar10_sym50.py']
train_dataloader = dict(
    dataset=dict(noise=dict(
        _delete_=True, type='cifarn', path='data/cifar10n/CIFAR-10_human.pt', label='aggre')))
