# DivideMix on CIFAR10 sym90: lambda_u = 50, p_threshold = 0.6.
_base_ = ['./dividemix_preactresnet18_1xb64-300e_cifar10-sym20.py']
model = dict(lambda_u=50, p_threshold=0.6)
train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='symmetric', rate=0.9, seed=1, include_true_class=True)))
# 90% noise: the GMM sees the mean of the last 5 epochs' normalised losses
custom_hooks = [
    dict(type='CoTrainingHook'),
    dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch='warmup',
         signals=dict(loss=5)),
    dict(type='GMMConfidenceHook', signal='loss', begin_epoch='warmup', average_last=5, threshold=0.6),
]
