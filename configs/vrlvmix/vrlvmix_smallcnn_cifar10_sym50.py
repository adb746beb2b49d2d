# VRLVMix in the CPU-sized benchmark setting (small CNNs, see
# configs/_base_/smallcnn_cifar10_co_training.py; DivideMix's counterpart is
# configs/dividemix/dividemix_smallcnn_cifar10_sym50.py). tau = 5 instead of 10 so that VRLV has
# its history within a short run; balancing on net2's pooled features; no SCAN.
_base_ = ['../_base_/smallcnn_cifar10_co_training.py']
model = dict(type='VRLVMix', p_threshold=0.5, lambda_u=25, temperature=0.5, alpha=4)
train_dataloader = dict(dataset=dict(dataset=dict(pipeline={{_base_.weak_weak_pipeline}})))
tau = 5
custom_hooks = [
    dict(type='CoTrainingHook'),
    dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch=0,
         signals=dict(loss=tau + 1, pred=tau + 1, feature=1)),
    dict(type='VRLVSelectionHook', tau=tau, begin_epoch='warmup'),
]
