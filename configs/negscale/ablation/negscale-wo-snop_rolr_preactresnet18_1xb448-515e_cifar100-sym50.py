# NegScale ablation (paper Table 7), CIFAR-100 sym50: w/o SNOP (lambda = 0).
_base_ = ['../negscale_rolr_preactresnet18_1xb448-515e_cifar100-sym50.py']
model = dict(aux_losses=[dict(type='NegScale', taxonomy='cifar100', lambda_snop=0.0)])
