# CCL Table 5: DivideMix + L_CVL + L_CML (CCL's terms weighted by (1 - w) / 2, T = 0.5, c = 0.95) on
# the DivideMix setting; a third, strong view of each sample feeds them.
_base_ = ['../../dividemix/dividemix_preactresnet18_1xb64-300e_cifar10-sym50.py']
model = dict(ccl=dict(cvl=True, cml=True, temperature=0.5, threshold=0.95))
weak_weak_strong_pipeline = [
    dict(type='MultiView', num_views=[2, 1],
         transforms=[{{_base_.weak_pipeline}}, {{_base_.strong_pipeline}}]),
    dict(type='PackNoisyInputs'),
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=weak_weak_strong_pipeline)))
