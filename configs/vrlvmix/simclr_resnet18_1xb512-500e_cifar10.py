# SimCLR pretraining for VRLVMix's SCAN neighbours (the paper: "the standard settings of the
# semantic clustering pre-training network in ScanMix, based on SimCLR": SGD lr 0.4, momentum 0.9,
# wd 1e-4, batch 512, 500 epochs, cosine decay; SCAN's code ends the cosine at lr x 0.1^3).
# mmpretrain's own SimCLR (ResNet-18 with the CIFAR stem, 2-layer 128-d projection, NT-Xent at
# temperature 0.1) on the training images; the labels are not used. Then
#   python tools/vrlvmix/mine_neighbours.py THIS_CONFIG work_dirs/.../epoch_500.pth \
#       --data-config configs/vrlvmix/vrlvmix_..._cifar10-sym80.py --out-dir work_dirs/neighbours/cifar10
default_scope = 'mmpretrain'
runner_type = 'Runner'
data_root = 'data/cifar10'
dataset_type = 'mmnoisy.CIFAR10'  # reads the official layout without a download check
data_preprocessor = dict(type='SelfSupDataPreprocessor', mean=[125.307, 122.961, 113.8575],
                         std=[51.5865, 50.847, 51.255], to_rgb=False)
view_pipeline = [
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.2, 1.0), backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomApply', prob=0.8, transforms=[
        dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)]),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.2989)),
]
train_dataloader = dict(
    batch_size=512,
    num_workers=8,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    drop_last=True,
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 pipeline=[dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
                           dict(type='PackInputs')]))
model = dict(
    type='SimCLR',
    # the VRLVMix networks' PreAct-ResNet-18, so that both can start from this encoder
    # (Algorithm 1, line 2: WarmUp(D, f_phi); ScanMix loads its self-supervised weights into
    # both networks)
    backbone=dict(type='mmnoisy.PreActResNet', depth=18),
    neck=dict(type='NonLinearNeck', in_channels=512, hid_channels=512, out_channels=128,
              num_layers=2, with_avg_pool=True),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.1))
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.4, momentum=0.9, weight_decay=1e-4))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=500, by_epoch=True, begin=0, end=500,
                        eta_min=0.4 * 0.1**3)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=500)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=50, max_keep_ckpts=2, save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'))
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='nccl'))
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
