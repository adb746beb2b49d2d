# DynaCor, paper Table 2: ResNet-34 on CIFAR-10, symmetric 60% label noise; detection F1 of the
# mislabelled samples (the paper reports 93.6 for DynaCor).
_base_ = ['./_dynacor_resnet34_cifar.py']
train_dataloader = dict(dataset=dict(dataset=dict(noise=dict(type='symmetric', rate=0.6, seed=0))))
