# SCE (Wang et al. 2019) with its published CIFAR-10 setting alpha=0.1, beta=1.0, A=-4.
_base_ = ['./ce_preactresnet18_1xb64-250e_cifar10-sym50.py']
model = dict(head=dict(loss=dict(_delete_=True, type='SCELoss', alpha=0.1, beta=1.0)))
