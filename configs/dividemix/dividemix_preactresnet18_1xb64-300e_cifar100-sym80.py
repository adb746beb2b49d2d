# DivideMix on CIFAR100 sym80: lambda_u = 150, p_threshold = 0.5.
_base_ = ['./dividemix_preactresnet18_1xb64-300e_cifar100-sym20.py']
model = dict(lambda_u=150, p_threshold=0.5)
train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='symmetric', rate=0.8, seed=1, include_true_class=True)))
