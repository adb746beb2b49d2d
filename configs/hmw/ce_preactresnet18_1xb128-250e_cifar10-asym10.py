# CCE row of HMW Table 1 (CIFAR-10, 10% asymmetric noise (the classic CIFAR-10 map)): PreAct-ResNet-18,
# SGD lr 0.02, 250 epochs (x0.1 at 125 and 200), batch 128 (the code's loader, batch_size * 2), UNICON's noise convention.
_base_ = ['../baselines/ce_preactresnet18_1xb64-250e_cifar10-sym50.py']
train_dataloader = dict(batch_size=128, dataset=dict(noise=dict(_delete_=True, type='asymmetric', rate=0.1, seed=1)))
# the code adds the confidence penalty under asymmetric noise, in every epoch
model = dict(confidence_penalty=True)
