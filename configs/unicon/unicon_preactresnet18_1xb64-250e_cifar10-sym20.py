# UNICON (Karim et al., CVPR 2022) as reproduced for HMW Table 1: CIFAR-10, 20% symmetric noise (the true class may be drawn, as in the UNICON code).
# Two PreAct-ResNet-18 with a 128-d projector (Linear + BN), SGD lr 0.02 (momentum 0.9, wd 5e-4),
# batch 64, 250 epochs (x0.1 at 125 and 200; the HMW code's schedule, UNICON's own is 350 epochs
# cosine), 10 warm-up epochs; views weak, weak, strong, strong (AutoAugment CIFAR-10 policy);
# T = 0.5, Beta(4, 4), lambda_u = 30 (16-epoch ramp), lambda_c = 0.025, contrastive temperature
# 0.05; selection by the JSD of both networks' mean prediction with d_u = 0.7, tau = 5.
_base_ = [
    '../_base_/models/preact_resnet18.py',
    '../_base_/datasets/noisy_cifar10.py',
    '../_base_/schedules/sgd_250e_step125_200.py',
    '../_base_/co_training_runtime.py',
]
network = dict(
    type='NoisyClassifier',
    backbone=dict(type='PreActResNet', depth=18),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=512,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    projector=dict(out_channels=128, norm=True))
model = dict(_delete_=True, type='UNICON', network=network, warmup_epochs=10,
             warmup_neg_entropy=False, temperature=0.5, alpha=4.0, lambda_u=30.0,
             lambda_c=0.025, contrast_temperature=0.05,
             test_mode='logits_sum')  # the code tests argmax(logits1 + logits2)
optim_wrapper = dict(constructor='CoTrainingOptimWrapperConstructor')
# The authors' batching (UNICON's dataloader_cifar.py): net1's epoch, then net2's; labelled
# batches of 64 (drop_last), unlabelled batches of int(64 / (2 SR)) for selected share SR
# (drop_last); warm-up batches of 128 (docs/reproduction.md).
train_dataloader = dict(
    batch_size=64,
    batch_sampler=dict(type='CoTrainingBatchSampler', unlabelled_batch_size='unicon',
                       warmup_batch_size=128, order='alternating', drop_last=True),
    dataset=dict(dataset=dict(pipeline={{_base_.weak_weak_autoaugment_pipeline}}),
                 noise=dict(_delete_=True, type='symmetric', rate=0.2, seed=1, include_true_class=True)))
custom_hooks = [
    dict(type='CoTrainingHook'),
    # UNICON's eval pass: both networks' softmax under the test transform
    dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch='warmup',
         signals=dict(prob=1)),
    dict(type='UniconSelectionHook', d_u=0.7, tau=5, log_base='e', begin_epoch='warmup'),
]
# the projector is idle in warm-up (and when a batch has < 2 unlabelled samples): DDP must
# allow parameters without gradient there (they then keep their values, as in the authors' code)
model_wrapper_cfg = dict(find_unused_parameters=True)
