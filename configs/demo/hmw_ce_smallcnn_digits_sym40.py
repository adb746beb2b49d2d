# CE + HMW on the digits demo: the hyperspherical margins of each epoch are recorded from the
# training forward (online, from epoch 0), and from epoch 5 each sample's CE is weighted by its
# cosine-annealed IAM (HMW Eq. 7-13), alpha = beta = 100 as the paper's CE setting.
_base_ = ['./ce_smallcnn_digits_sym40.py']
custom_hooks = [
    dict(type='SampleRecordHook', mode='online', signals=dict(cos_margin=1, cos_topk_margin=1)),
    dict(type='HMWHook', alpha=100.0, beta=100.0, warmup_epochs=5, normalized_logits=True),
]
# the HMW code's classifier: bias-free, PyTorch's default init, normalised logits from epoch 0
model = dict(head=dict(type='NoisyLinearClsHead', bias=False, init_cfg=None))
