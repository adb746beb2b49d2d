# VRLVMix on CIFAR-10 with 40% asymmetric noise (Table II; truck->automobile, bird->airplane,
# deer->horse, cat<->dog): lambda_u = 0, p_threshold = 0.5 and the negative-entropy penalty in
# warm-up (DivideMix's asymmetric setting). No SCAN: the paper does not use it on CIFAR-10 asym.
_base_ = ['./vrlvmix_preactresnet18_1xb64-300e_cifar10-sym20.py']
model = dict(lambda_u=0, p_threshold=0.5, warmup_neg_entropy=True)
train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='asymmetric', rate=0.4, seed=1)))
