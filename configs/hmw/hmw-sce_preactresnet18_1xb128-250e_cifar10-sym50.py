# SCE + HMW (HMW Table 1): the SCE config plus the hyperspherical margins recorded
# online from epoch 0 and the IAM weight from epoch 10 (the authors' warm-up), alpha = beta = 100.
_base_ = ['./sce_preactresnet18_1xb128-250e_cifar10-sym50.py']
custom_hooks = [
    dict(type='SampleRecordHook', mode='online', signals=dict(cos_margin=1, cos_topk_margin=1)),
    dict(type='HMWHook', alpha=100.0, beta=100.0, normalized_logits=True, warmup_epochs=10),
]
# the HMW code's classifier: a bias-free linear layer with PyTorch's default init, trained on
# l2-normalised logits from epoch 0 (normalized_logits above)
model = dict(head=dict(type='NoisyLinearClsHead', bias=False, init_cfg=None))
