# Table IV ablation on cifar10-sym90: VRLVMix w/o SCAN.
_base_ = ['./vrlvmix_preactresnet18_1xb64-300e_cifar10-sym90.py']
model = dict(scan=None)
