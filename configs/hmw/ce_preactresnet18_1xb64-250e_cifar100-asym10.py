# CCE row of HMW Table 1 (CIFAR-100, 10% asymmetric noise (UNICON/HMW code: the next class within blocks of 5 consecutive fine labels)): PreAct-ResNet-18,
# SGD lr 0.02, 250 epochs (x0.1 at 125 and 200), batch 64, UNICON's noise convention.
_base_ = ['../baselines/ce_preactresnet18_1xb64-250e_cifar100-sym50.py']
train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='superclass', rate=0.1, seed=1, superclasses='blocks_of_5')))
