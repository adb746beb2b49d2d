# Table IV ablation on cifar100-asym40: VRLVMix w/o SCAN.
_base_ = ['./vrlvmix_preactresnet18_1xb64-300e_cifar100-asym40.py']
model = dict(scan=None)
