# CCL Table 5: DivideMix + L_CML only.
_base_ = ['./dividemix-cvl-cml_preactresnet18_1xb64-300e_cifar10-sym80.py']
model = dict(ccl=dict(cvl=False, cml=True))
