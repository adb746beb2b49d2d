# NegScale on DivideMix, CIFAR-10 with 50% symmetric noise (paper Table 6): the DivideMix config plus
# SNOP + DCSA on the un-mixed weak view's features, cifar10 taxonomy, paper defaults.
_base_ = ['../dividemix/dividemix_preactresnet18_1xb64-300e_cifar10-sym50.py']
model = dict(aux_losses=[dict(type='NegScale', taxonomy='cifar10', eta_min=3, eta_max=5, lambda_snop=1.0, mu_dcsa=1.0)])
