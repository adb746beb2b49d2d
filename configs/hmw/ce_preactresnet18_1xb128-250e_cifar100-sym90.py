# CCE row of HMW Table 1 (CIFAR-100, 90% symmetric noise): PreAct-ResNet-18,
# SGD lr 0.02, 250 epochs (x0.1 at 125 and 200), batch 128 (the code's loader, batch_size * 2), UNICON's noise convention.
_base_ = ['../baselines/ce_preactresnet18_1xb64-250e_cifar100-sym50.py']
train_dataloader = dict(batch_size=128, dataset=dict(noise=dict(_delete_=True, type='symmetric', rate=0.9, seed=1, include_true_class=True)))
