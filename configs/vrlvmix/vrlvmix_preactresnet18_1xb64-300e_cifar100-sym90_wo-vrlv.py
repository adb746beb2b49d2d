# Table IV ablation on cifar100-sym90: VRLVMix w/o VRLV: both networks split by the GMM (co-divide), balancing and SCAN kept.
_base_ = ['./vrlvmix_preactresnet18_1xb64-300e_cifar100-sym90.py']
model = dict(vrlv=False)
