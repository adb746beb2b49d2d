# VRLVMix (Wang, Tu, Ding & Jiang) on CIFAR-10 with 20% symmetric noise, Table I: two
# PreAct-ResNet-18, SGD lr 0.02 (momentum 0.9, wd 5e-4), 300 epochs (lr/10 from 150), 10 warm-up
# epochs; DivideMix's T = 0.5, alpha = 4, p_threshold and lambda_u per setting (the paper builds
# on DivideMix and gives no values of its own). VRLV over tau = 10 epochs of loss-change ranks of
# net2, GMM split of net1, class balancing with ENN and k-NN mixup pairs on net2's pooled
# features, Eq. 10's class weights. The record starts at epoch 0 so that VRLV has tau + 1 epochs
# of losses when warm-up ends.
_base_ = [
    '../_base_/models/preact_resnet18.py',
    '../_base_/datasets/noisy_cifar10.py',
    '../_base_/schedules/sgd_300e_step150.py',
    '../_base_/co_training_runtime.py',
]
model = dict(_delete_=True, type='VRLVMix', network={{_base_.model}}, warmup_epochs=10,
             p_threshold=0.5, lambda_u=0, temperature=0.5, alpha=4.0,
             test_mode='logits_sum')  # DivideMix's test: argmax(logits1 + logits2)
# Batches as the code VRLVMix is built on ran them (its own code is not public): DivideMix's and
# ScanMix's loops train net1 for an epoch, then net2, each on its own labelled and unlabelled
# loaders of batch 64 (both codes' default; ScanMix's config: batch_size 64), warm-up batches of
# 128 (batch_size * 2). The paper's "batch size of 128" is DivideMix's paper sentence, whose
# number came from the same batch-64 code. docs/reproduction.md.
train_dataloader = dict(
    batch_size=64,
    batch_sampler=dict(type='CoTrainingBatchSampler', warmup_batch_size=128,
                       order='alternating', drop_last=False),
    dataset=dict(dataset=dict(pipeline={{_base_.weak_weak_pipeline}}),
                 noise=dict(_delete_=True, type='symmetric', rate=0.2, seed=1,
                            include_true_class=True)))
tau = 10
custom_hooks = [
    dict(type='CoTrainingHook'),
    # losses and predictions under the test transform (DivideMix's eval pass), net2's features
    dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch=0,
         signals=dict(loss=tau + 1, pred=tau + 1, feature=1)),
    dict(type='VRLVSelectionHook', tau=tau, begin_epoch='warmup', features='record'),
]
