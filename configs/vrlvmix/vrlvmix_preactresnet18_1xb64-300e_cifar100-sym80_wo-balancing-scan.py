# Table IV ablation on cifar100-sym80: VRLVMix w/o balancing and SCAN ("V-Mix w/o Balancing + Scan").
_base_ = ['./vrlvmix_preactresnet18_1xb64-300e_cifar100-sym80.py']
model = dict(balancing=False, scan=None)
