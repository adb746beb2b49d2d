# CCL on CIFAR-10N, worst human labels (40.2% noise).
_base_ = ['./ccl_resnet18_1xb128-500e_cifar10n-aggre.py']
train_dataloader = dict(dataset=dict(noise=dict(label='worst')))
