# CCL on CIFAR-10N, rand3 human labels (17.6% noise).
_base_ = ['./ccl_resnet18_1xb128-500e_cifar10n-aggre.py']
train_dataloader = dict(dataset=dict(noise=dict(label='rand3')))
