# RoLR (Chen et al., AAAI 2023) on CIFAR-10 with 20% symmetric noise, as the authors' code runs it:
# two PreAct-ResNet-18, 15 warm-up epochs of CE then 500 epochs (SGD lr 0.02, lr/10 for the last
# 100), batch 448 with two passes over the data per epoch, lambda_p = 2 (README), T = 1. The
# authors train with AMP: add --amp on a GPU.
_base_ = [
    '../_base_/models/preact_resnet18.py',
    '../_base_/datasets/noisy_cifar10.py',
    '../_base_/schedules/sgd_515e_rolr.py',
    '../_base_/co_training_runtime.py',
]
model = dict(_delete_=True, type='RoLR', network={{_base_.model}}, warmup_epochs=15,
             temperature=1.0, lambda_p=2.0,
             test_mode='logits_sum')  # the code tests argmax(logits1 + logits2)
# The authors' batching (RoLR.py): warm-up batches of 64, one pass per epoch, net1's epoch
# then net2's; then each network's epoch is I = 2 passes of batches of 448 (drop_last), each
# pass its own shuffle, net1's epoch then net2's (the code trains net2 first; which network
# goes first is a convention, docs/reproduction.md).
train_dataloader = dict(
    batch_size=448,
    batch_sampler=dict(type='CoTrainingBatchSampler', warmup_batch_size=64, passes=2,
                       drop_last=True, order='alternating'),
    dataset=dict(dataset=dict(pipeline={{_base_.weak_strong_pipeline}}),
                 noise=dict(_delete_=True, type='symmetric', rate=0.2, seed=1, include_true_class=True)))
