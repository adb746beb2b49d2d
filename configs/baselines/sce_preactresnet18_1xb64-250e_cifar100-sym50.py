# SCE (Wang et al. 2019) with its published CIFAR-100 setting alpha=6.0, beta=0.1, A=-4.
_base_ = ['./ce_preactresnet18_1xb64-250e_cifar100-sym50.py']
model = dict(head=dict(loss=dict(_delete_=True, type='SCELoss', alpha=6.0, beta=0.1)))
