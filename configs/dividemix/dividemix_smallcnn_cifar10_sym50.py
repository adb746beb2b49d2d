# DivideMix in the CPU-sized benchmark setting (small CNNs, see configs/_base_/smallcnn_cifar10_co_training.py).
_base_ = ['../_base_/smallcnn_cifar10_co_training.py']
model = dict(type='DivideMix', p_threshold=0.5, lambda_u=25, temperature=0.5, alpha=4)
train_dataloader = dict(dataset=dict(dataset=dict(pipeline={{_base_.weak_weak_pipeline}})))
custom_hooks = [
    dict(type='CoTrainingHook'),
    dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch='warmup',
         signals=dict(loss=1)),
    dict(type='GMMConfidenceHook', signal='loss', begin_epoch='warmup'),
]
