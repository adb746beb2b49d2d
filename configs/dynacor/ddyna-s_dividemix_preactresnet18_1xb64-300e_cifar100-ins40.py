# DDyna-S (DynaCor Sec. 5.5, Fig. 3): DivideMix (PreAct-ResNet-18, its CIFAR-100 settings,
# lambda_u = 150) whose GMM co-divide is replaced by DynaCor's detection, CIFAR-100 with 40%
# instance-dependent noise. The training set carries 10% label-corrupted copies; each
# network's quantised dynamics come from DivideMix's test-transform pass every epoch from
# epoch 0, and from the end of warm-up each network trains with DynaCor's q_clean computed
# from its peer's dynamics (15 encoder epochs before every DivideMix epoch).
_base_ = ['../dividemix/dividemix_preactresnet18_1xb64-300e_cifar100-sym50.py']
train_dataloader = dict(dataset=dict(
    _delete_=True,
    type='CorruptedCopyDataset',
    gamma=0.1,
    aug='border_crop',
    crop=4,
    seed=0,
    dataset=dict(_base_.train_dataloader.dataset,
                 noise=dict(type='instance', rate=0.4, seed=0))))
custom_hooks = [
    dict(type='CoTrainingHook'),
    dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch=0,
         signals=dict(margin_sign=None)),
    dict(type='DynaCorSelectionHook', begin_epoch='warmup',
         dynacor=dict(alpha=0.5, epochs=15, batch_size=1024, score_distance='sqeuclidean')),
]
