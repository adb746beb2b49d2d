# VRLVMix on CIFAR-10 with 90% symmetric noise (Table I): the sym80 config (SCAN, SimCLR features)
# with lambda_u = 50 and p_threshold = 0.6 (DivideMix's).
_base_ = ['./vrlvmix_preactresnet18_1xb128-300e_cifar10-sym80.py']
model = dict(lambda_u=50, p_threshold=0.6)
train_dataloader = dict(dataset=dict(noise=dict(rate=0.9)))
