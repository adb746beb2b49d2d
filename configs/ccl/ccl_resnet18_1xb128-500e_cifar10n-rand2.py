# CCL on CIFAR-10N, rand2 human labels (18.1% noise).
_base_ = ['./ccl_resnet18_1xb128-500e_cifar10n-aggre.py']
train_dataloader = dict(dataset=dict(noise=dict(label='rand2')))
