# VRLVMix on the digits demo: net1 splits by the GMM of its losses, net2 by the variance of
# its loss-change ranks over tau = 3 epochs (the record starts at epoch 0, so VRLV is ready when
# warm-up ends); balanced per class with ENN and k-NN mixup pairs on net2's pooled features;
# DivideMix's MixMatch step with Eq. 10's class weights. The learning rate steps at epoch 15,
# changes at the 16th epoch and the 19th (16 + tau) uses the learning-rate-change branch.
_base_ = ['./_co_training_digits.py']
model = dict(type='VRLVMix', p_threshold=0.5, lambda_u=25)
train_dataloader = dict(
    batch_sampler=dict(type='CoTrainingBatchSampler', warmup_batch_size=64),
    dataset=dict(dataset=dict(pipeline={{_base_.weak_weak_pipeline}})))
param_scheduler = dict(_delete_=True, type='MultiStepLR', by_epoch=True, milestones=[15],
                       gamma=0.1)
custom_hooks = [
    dict(type='CoTrainingHook'),
    dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch=0,
         signals=dict(loss=4, pred=4, feature=1)),
    dict(type='VRLVSelectionHook', tau=3, begin_epoch='warmup'),
]
