# SCE + HMW (HMW Table 1): the SCE config plus the hyperspherical margins recorded
# online from epoch 0 and the IAM weight from epoch 10 (the authors' warm-up), alpha = beta = 100.
_base_ = ['./sce_preactresnet18_1xb64-250e_cifar10-sym90.py']
custom_hooks = [
    dict(type='SampleRecordHook', mode='online', signals=dict(cos_margin=1, cos_topk_margin=1)),
    dict(type='HMWHook', alpha=100.0, beta=100.0, warmup_epochs=10),
]
