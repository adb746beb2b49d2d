# GCE (Zhang & Sabuncu 2018) with the published q=0.7.
_base_ = ['./ce_preactresnet18_1xb64-250e_cifar100-sym50.py']
model = dict(head=dict(loss=dict(_delete_=True, type='GCELoss', q=0.7)))
