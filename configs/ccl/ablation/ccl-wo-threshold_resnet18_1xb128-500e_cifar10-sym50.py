# CCL Table 7 ablation, w/o Threshold in L_PG: c = 0 (every prediction guides, Eq. 7).
_base_ = ['../ccl_resnet18_1xb128-500e_cifar10-sym50.py']
model = dict(threshold=0.0)
