# CCL Table 5: DivideMix + L_CVL + L_CML (CCL's terms weighted by (1 - w) / 2, T = 0.5, c = 0.95) on
# the DivideMix setting; a third, strong view of each sample feeds them.
_base_ = ['../../dividemix/dividemix_preactresnet18_1xb64-300e_cifar10-sym80.py']
model = dict(ccl=dict(cvl=True, cml=True, temperature=0.5, threshold=0.95))
train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline={{_base_.weak_weak_strong_pipeline}})))
