# UNICON + HMW (HMW Table 1): CIFAR-10, 90% symmetric noise (the true class may be drawn, as in the UNICON code). HMW's mixup weights
# (hyperspherical, k = 1) on L_x and L_u, alpha = beta = 100 (the paper's setting for UNICON here).
_base_ = ['./unicon_preactresnet18_1xb64-250e_cifar10-sym90.py']
model = dict(hmw=dict(alpha=100.0, beta=100.0, topk=1, use_aum=True, hyperspherical=True,
                      normalized_logits=True),
             # the HMW code's bias-free classifier (PyTorch's default init); warm-up on
             # l2-normalised logits (normalized_logits)
             network=dict(head=dict(type='NoisyLinearClsHead', bias=False, init_cfg=None)))
