# UNICON + HMW on the digits demo: HMW's mixup weights (hyperspherical, alpha = beta = 1,
# the paper's setting for UNICON at noise <= 0.5) on L_x and L_u.
_base_ = ['./unicon_smallcnn_digits_sym40.py']
model = dict(hmw=dict(alpha=1.0, beta=1.0, topk=1, use_aum=True, hyperspherical=True,
                      normalized_logits=True),
             network=dict(head=dict(type='NoisyLinearClsHead', bias=False, init_cfg=None)))
