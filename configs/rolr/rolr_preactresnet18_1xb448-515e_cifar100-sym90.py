# RoLR on CIFAR100 sym90.
_base_ = ['./rolr_preactresnet18_1xb448-515e_cifar100-sym20.py']
train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='symmetric', rate=0.9, seed=1, include_true_class=True)))
# 90% noise: the GMM sees the mean of the last 5 epochs' normalised losses
custom_hooks = [
    dict(type='CoTrainingHook'),
    dict(type='SampleRecordHook', mode='pass', pipeline='train_weak', begin_epoch='warmup',
         signals=dict(loss=5)),
    dict(type='GMMConfidenceHook', signal='loss', begin_epoch='warmup', average_last=5),
]
