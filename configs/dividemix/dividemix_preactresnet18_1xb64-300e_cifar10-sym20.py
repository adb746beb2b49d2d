# DivideMix (Li et al., ICLR 2020) on CIFAR-10 with 20% symmetric noise: two PreAct-ResNet-18, SGD
# lr 0.02 (momentum 0.9, wd 5e-4), batch 64, 300 epochs (lr/10 from 150), 10 warm-up epochs;
# T = 0.5, alpha = 4, lambda_u and p_threshold per setting (DivideMix appendix). Symmetric noise
# draws from all classes including the true one, as the authors' code does.
_base_ = [
    '../_base_/models/preact_resnet18.py',
    '../_base_/datasets/noisy_cifar10.py',
    '../_base_/schedules/sgd_300e_step150.py',
    '../_base_/co_training_runtime.py',
]
model = dict(_delete_=True, type='DivideMix', network={{_base_.model}}, warmup_epochs=10,
             p_threshold=0.5, lambda_u=0, temperature=0.5, alpha=4.0,
             test_mode='logits_sum')  # the code tests argmax(logits1 + logits2)
# The authors' batching (Train_cifar.py): net1 trains an epoch, then net2, each on its own
# shuffles; an epoch of a network is its labelled set once in batches of 64, each with 64
# unlabelled samples; warm-up batches of 128 (their warm-up loader, batch_size * 2).
# order='interleaved' updates both networks every iteration instead; deleting batch_sampler
# trains both on one shared batch split by the tables (docs/reproduction.md).
train_dataloader = dict(
    batch_size=64,
    batch_sampler=dict(type='CoTrainingBatchSampler', warmup_batch_size=128,
                       order='alternating', drop_last=False),
    dataset=dict(dataset=dict(pipeline={{_base_.weak_weak_pipeline}}),
                 noise=dict(_delete_=True, type='symmetric', rate=0.2, seed=1, include_true_class=True)))
custom_hooks = [
    dict(type='CoTrainingHook'),
    # DivideMix's eval pass: per-sample losses under the test transform
    dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch='warmup',
         signals=dict(loss=1)),
    dict(type='GMMConfidenceHook', signal='loss', begin_epoch='warmup', threshold=0.5),
]
