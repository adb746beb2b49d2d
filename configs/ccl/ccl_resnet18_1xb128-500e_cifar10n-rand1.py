# CCL on CIFAR-10N, rand1 human labels (17.2% noise).
_base_ = ['./ccl_resnet18_1xb128-500e_cifar10n-aggre.py']
train_dataloader = dict(dataset=dict(noise=dict(label='rand1')))
