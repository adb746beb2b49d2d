# Table IV ablation on cifar10-sym80: VRLVMix w/o balancing: D_x = D_c plus the whole supplementary set (V_c or G_l), no
# ENN, no mixup pairs, no class weights.
_base_ = ['./vrlvmix_preactresnet18_1xb64-300e_cifar10-sym80.py']
model = dict(balancing=False)
