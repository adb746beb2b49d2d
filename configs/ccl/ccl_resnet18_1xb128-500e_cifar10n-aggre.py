# CCL on CIFAR-10N, aggregated human labels (9.0% noise).
_base_ = ['./ccl_resnet18_1xb128-500e_cifar10-sym20.py']
train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='cifarn', path='data/cifar10n/CIFAR-10_human.pt', label='aggre')))
