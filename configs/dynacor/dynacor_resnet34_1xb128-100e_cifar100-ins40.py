# DynaCor, paper Table 2: ResNet-34 on CIFAR-100, instance 40% label noise; detection F1 of the
# mislabelled samples (the paper reports 79.5 for DynaCor).
_base_ = ['./_dynacor_resnet34_cifar100.py']
train_dataloader = dict(dataset=dict(dataset=dict(noise=dict(type='instance', rate=0.4, seed=0))))
