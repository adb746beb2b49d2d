# DivideMix on CIFAR10 asym40: lambda_u = 0, p_threshold = 0.5, negative-entropy penalty in warm-up.
_base_ = ['./dividemix_preactresnet18_1xb64-300e_cifar10-sym20.py']
model = dict(lambda_u=0, p_threshold=0.5, warmup_neg_entropy=True)
train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='asymmetric', rate=0.4, seed=1)))
