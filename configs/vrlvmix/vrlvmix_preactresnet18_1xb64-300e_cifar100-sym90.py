# VRLVMix on CIFAR-100 with 90% symmetric noise (Table I): the sym80 config (SCAN, SimCLR features)
# with p_threshold = 0.6 (DivideMix's).
_base_ = ['./vrlvmix_preactresnet18_1xb64-300e_cifar100-sym80.py']
model = dict(p_threshold=0.6)
train_dataloader = dict(dataset=dict(noise=dict(rate=0.9)))
# at 90% noise the GMM fits the mean loss of the last 5 epochs (DivideMix's code)
custom_hooks = [
    dict(type='CoTrainingHook'),
    dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch=20,
         signals=dict(loss=11, pred=11)),
    # balancing on the SimCLR features, as the paper's semantic-clustering neighbours
    dict(type='VRLVSelectionHook', tau=10, begin_epoch='warmup', average_last=5,
         features='work_dirs/vrlvmix_neighbours/cifar100/features.npy'),
]
