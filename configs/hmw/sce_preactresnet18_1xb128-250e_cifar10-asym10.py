# SCE row of HMW Table 1: as ce_preactresnet18_1xb128-250e_cifar10-asym10.py with SCE (alpha=0.1, beta=1.0).
_base_ = ['./ce_preactresnet18_1xb128-250e_cifar10-asym10.py']
model = dict(head=dict(loss=dict(_delete_=True, type='SCELoss', alpha=0.1, beta=1.0,
                                   log_zero=-9.210340371976184)))  # log(1e-4), the code's clamp
