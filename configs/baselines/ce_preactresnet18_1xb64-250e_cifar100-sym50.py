# Cross-entropy baseline (the CCE row of HMW Table 1): PreAct-ResNet-18, SGD lr 0.02,
# 250 epochs (x0.1 at 125 and 200), batch 64, CIFAR100 with 50% symmetric noise.
_base_ = [
    '../_base_/models/preact_resnet18.py',
    '../_base_/datasets/noisy_cifar100.py',
    '../_base_/schedules/sgd_250e_step125_200.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=100))
train_dataloader = dict(batch_size=64)
