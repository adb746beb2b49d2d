# CCL Table 7 ablation, w/o Refurbished labels: L_CCLRL positives are the sample itself (vanilla contrastive).
_base_ = ['../ccl_resnet18_1xb128-500e_cifar10-sym80.py']
model = dict(refurbished_labels=False)
