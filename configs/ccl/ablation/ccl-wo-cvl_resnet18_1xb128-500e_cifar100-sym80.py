# CCL Table 7 ablation, w/o L_CVL: L_PG, L_ACL and L_VM off (Eq. 8).
_base_ = ['../ccl_resnet18_1xb128-500e_cifar100-sym80.py']
model = dict(loss_weights=dict(pg=0, acl=0, vm=0))
