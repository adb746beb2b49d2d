# NegScale on RoLR, CIFAR-10N 'worst' human labels (40.2% noise; paper Table 3).
_base_ = ['./negscale_rolr_preactresnet18_1xb448-515e_cifar10-sym20.py']
train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='cifarn', path='data/cifar10n/CIFAR-10_human.pt', label='worst')))
