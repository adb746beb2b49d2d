# CCL Table 7 ablation, w/o L_CML: CE to the peer, L_CCLRL and L_MM off (Eq. 13).
_base_ = ['../ccl_resnet18_1xb128-500e_cifar100-sym50.py']
model = dict(loss_weights=dict(cml_ce=0, cclrl=0, mm=0))
