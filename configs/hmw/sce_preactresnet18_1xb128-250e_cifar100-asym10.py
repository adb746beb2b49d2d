# SCE row of HMW Table 1: as ce_preactresnet18_1xb128-250e_cifar100-asym10.py with SCE (alpha=6.0, beta=0.1).
_base_ = ['./ce_preactresnet18_1xb128-250e_cifar100-asym10.py']
model = dict(head=dict(loss=dict(_delete_=True, type='SCELoss', alpha=6.0, beta=0.1,
                                   log_zero=-9.210340371976184)))  # log(1e-4), the code's clamp
