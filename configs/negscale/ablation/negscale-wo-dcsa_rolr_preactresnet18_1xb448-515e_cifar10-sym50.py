# NegScale ablation (paper Table 7), CIFAR-10 sym50: w/o DCSA (mu = 0).
_base_ = ['../negscale_rolr_preactresnet18_1xb448-515e_cifar10-sym50.py']
model = dict(aux_losses=[dict(type='NegScale', taxonomy='cifar10', mu_dcsa=0.0)])
