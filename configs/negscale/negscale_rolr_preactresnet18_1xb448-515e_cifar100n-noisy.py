# NegScale on RoLR, CIFAR-100N human fine labels (40.2% noise; paper Table 3).
_base_ = ['./negscale_rolr_preactresnet18_1xb448-515e_cifar100-sym20.py']
train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='cifarn', path='data/cifar100n/CIFAR-100_human.pt', label='noisy')))
