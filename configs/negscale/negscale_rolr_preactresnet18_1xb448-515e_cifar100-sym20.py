# NegScale (Fan & Li, AAAI 2026) on RoLR, CIFAR-100 with 20% symmetric noise (paper Table 2): the RoLR
# config plus SNOP + DCSA on the strong view's features, cifar100 taxonomy, lambda = mu = 1,
# eta_min = 3, eta_max = 5 (the paper's defaults).
_base_ = ['../rolr/rolr_preactresnet18_1xb448-515e_cifar100-sym20.py']
model = dict(aux_losses=[dict(type='NegScale', taxonomy='cifar100', eta_min=3, eta_max=5, lambda_snop=1.0, mu_dcsa=1.0)])
