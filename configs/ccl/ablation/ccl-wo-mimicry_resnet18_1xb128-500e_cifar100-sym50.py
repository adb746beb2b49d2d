# CCL Table 7 ablation, w/o Mimicry: L_VM (Eq. 6) and L_MM (Eq. 12) off.
_base_ = ['../ccl_resnet18_1xb128-500e_cifar100-sym50.py']
model = dict(loss_weights=dict(vm=0, mm=0))
