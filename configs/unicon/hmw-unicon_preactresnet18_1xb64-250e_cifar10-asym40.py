# UNICON + HMW (HMW Table 1): CIFAR-10, 40% asymmetric noise (the classic CIFAR-10 map). HMW's mixup weights
# (hyperspherical, k = 1) on L_x and L_u, alpha = beta = 1 (the paper's setting for UNICON here).
_base_ = ['./unicon_preactresnet18_1xb64-250e_cifar10-asym40.py']
model = dict(hmw=dict(alpha=1.0, beta=1.0, topk=1, use_aum=True, hyperspherical=True,
                      normalized_logits=True),
             # the HMW code's bias-free classifier (PyTorch's default init); warm-up on
             # l2-normalised logits (normalized_logits)
             network=dict(head=dict(type='NoisyLinearClsHead', bias=False, init_cfg=None)))
