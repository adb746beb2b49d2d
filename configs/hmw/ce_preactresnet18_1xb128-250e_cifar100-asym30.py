# CCE row of HMW Table 1 (CIFAR-100, 30% asymmetric noise (UNICON/HMW code: the next class within blocks of 5 consecutive fine labels)): PreAct-ResNet-18,
# SGD lr 0.02, 250 epochs (x0.1 at 125 and 200), batch 128 (the code's loader, batch_size * 2), UNICON's noise convention.
_base_ = ['../baselines/ce_preactresnet18_1xb64-250e_cifar100-sym50.py']
train_dataloader = dict(batch_size=128, dataset=dict(noise=dict(_delete_=True, type='superclass', rate=0.3, seed=1, superclasses='blocks_of_5')))
# the code adds the confidence penalty under asymmetric noise, in every epoch
model = dict(confidence_penalty=True)
