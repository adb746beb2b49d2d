# VRLVMix on CIFAR-100 with 80% symmetric noise (Table I): lambda_u = 150, p_threshold = 0.5
# (DivideMix's), SCAN at high estimated noise (see the CIFAR-10 sym80 config for the neighbours).
_base_ = ['./vrlvmix_preactresnet18_1xb64-300e_cifar100-sym20.py']
# Algorithm 1, line 2 (WarmUp(D, f_phi)): both networks start from the SimCLR encoder, as ScanMix
# loads its self-supervised weights into both networks
simclr_checkpoint = 'work_dirs/simclr_resnet18_1xb512-500e_cifar100/epoch_500.pth'
model = dict(network=dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=simclr_checkpoint,
                                                      prefix='backbone.'))),
             lambda_u=150, p_threshold=0.5,
             scan=dict(neighbours='work_dirs/vrlvmix_neighbours/cifar100/neighbours.npy',
                       entropy_weight=2.0, weight=0.05, noise_rate=0.6))
train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='symmetric', rate=0.8, seed=1, include_true_class=True)))
custom_hooks = [
    dict(type='CoTrainingHook'),
    dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch=20,
         signals=dict(loss=11, pred=11)),
    # balancing on the SimCLR features, as the paper's semantic-clustering neighbours
    dict(type='VRLVSelectionHook', tau=10, begin_epoch='warmup',
         features='work_dirs/vrlvmix_neighbours/cifar100/features.npy'),
]
