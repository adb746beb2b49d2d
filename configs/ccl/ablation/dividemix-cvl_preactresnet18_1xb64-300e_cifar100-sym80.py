# CCL Table 5: DivideMix + L_CVL only.
_base_ = ['./dividemix-cvl-cml_preactresnet18_1xb64-300e_cifar100-sym80.py']
model = dict(ccl=dict(cvl=True, cml=False))
