# DynaCor, paper Table 2: ResNet-34 on CIFAR-10N, human (worst, 40.2%) label noise; detection F1 of the
# mislabelled samples (the paper reports 87.8 for DynaCor).
_base_ = ['./_dynacor_resnet34_cifar.py']
train_dataloader = dict(dataset=dict(dataset=dict(noise=dict(_delete_=True, type='cifarn', path='data/cifar10n/CIFAR-10_human.pt', label='worst'))))
