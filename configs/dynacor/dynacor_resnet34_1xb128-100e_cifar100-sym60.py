# DynaCor, paper Table 2: ResNet-34 on CIFAR-100, symmetric 60% label noise; detection F1 of the
# mislabelled samples (the paper reports 91.3 for DynaCor).
_base_ = ['./_dynacor_resnet34_cifar100.py']
train_dataloader = dict(dataset=dict(dataset=dict(noise=dict(type='symmetric', rate=0.6, seed=0))))
