# NegScale ablation (paper Table 7), CIFAR-100 sym80: w/o DCSA (mu = 0).
_base_ = ['../negscale_rolr_preactresnet18_1xb448-515e_cifar100-sym80.py']
model = dict(aux_losses=[dict(type='NegScale', taxonomy='cifar100', mu_dcsa=0.0)])
