# DivideMix on the digits demo: two weak views, GMM on losses under the test transform.
_base_ = ['./_co_training_digits.py']
model = dict(type='DivideMix', p_threshold=0.5, lambda_u=25)
train_dataloader = dict(dataset=dict(dataset=dict(pipeline={{_base_.weak_weak_pipeline}})))
custom_hooks = [
    dict(type='CoTrainingHook'),
    dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch='warmup',
         signals=dict(loss=1)),
    dict(type='GMMConfidenceHook', signal='loss', begin_epoch='warmup'),
]
