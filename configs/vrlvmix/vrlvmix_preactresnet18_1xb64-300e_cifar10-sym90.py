# VRLVMix on CIFAR-10 with 90% symmetric noise (Table I): the sym80 config (SCAN, SimCLR features)
# with lambda_u = 50 and p_threshold = 0.6 (DivideMix's).
_base_ = ['./vrlvmix_preactresnet18_1xb64-300e_cifar10-sym80.py']
model = dict(lambda_u=50, p_threshold=0.6)
train_dataloader = dict(dataset=dict(noise=dict(rate=0.9)))
# at 90% noise the GMM fits the mean loss of the last 5 epochs (DivideMix's code)
custom_hooks = [
    dict(type='CoTrainingHook'),
    dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch=0,
         signals=dict(loss=11, pred=11)),
    dict(type='VRLVSelectionHook', tau=10, begin_epoch='warmup', average_last=5,
         features='work_dirs/vrlvmix_neighbours/cifar10/features.npy'),
]
