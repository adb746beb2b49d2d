# VRLVMix on CIFAR-100 with 50% symmetric noise (Table I): lambda_u = 150 (DivideMix's).
_base_ = ['./vrlvmix_preactresnet18_1xb64-300e_cifar100-sym20.py']
model = dict(lambda_u=150, p_threshold=0.5)
train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='symmetric', rate=0.5, seed=1, include_true_class=True)))
