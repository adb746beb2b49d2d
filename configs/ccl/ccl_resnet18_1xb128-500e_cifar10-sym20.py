# CCL (Fan & Li, AAAI 2025) on CIFAR-10 with 20% symmetric noise: two ResNet-18 (CIFAR stem),
# Adam lr 1e-3, batch 128, 500 epochs, 10 warm-up epochs, T = 0.5, c = 0.95 (paper, Implementation
# Details); weak/strong views as RoLR; the GMM confidence of each sample from its peer's losses.
_base_ = [
    '../_base_/models/resnet18_cifar.py',
    '../_base_/datasets/noisy_cifar10.py',
    '../_base_/schedules/adam_500e_ccl.py',
    '../_base_/co_training_runtime.py',
]
model = dict(_delete_=True, type='CCL', network={{_base_.model}}, warmup_epochs=10,
             temperature=0.5, threshold=0.95)
train_dataloader = dict(
    batch_size=128,
    dataset=dict(dataset=dict(pipeline={{_base_.weak_strong_pipeline}}),
                 noise=dict(_delete_=True, type='symmetric', rate=0.2, seed=1)))
