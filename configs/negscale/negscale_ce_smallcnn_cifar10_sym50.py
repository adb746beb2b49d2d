# NegScale on a single network: CE + SNOP + DCSA on the pooled features (CPU-sized setting of
# configs/baselines/ce_smallcnn_cifar10_sym50.py).
_base_ = ['../baselines/ce_smallcnn_cifar10_sym50.py']
model = dict(aux_losses=[dict(type='NegScale', taxonomy='cifar10')])
