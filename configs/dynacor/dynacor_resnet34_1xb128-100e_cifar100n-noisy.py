# DynaCor, paper Table 2: ResNet-34 on CIFAR-100N, human (noisy fine, 40.2%) label noise; detection F1 of the
# mislabelled samples (the paper reports 77.3 for DynaCor).
_base_ = ['./_dynacor_resnet34_cifar100.py']
train_dataloader = dict(dataset=dict(dataset=dict(noise=dict(_delete_=True, type='cifarn', path='data/cifar100n/CIFAR-100_human.pt', label='noisy'))))
