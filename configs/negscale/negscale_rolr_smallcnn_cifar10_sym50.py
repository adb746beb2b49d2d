# RoLR + NegScale in the CPU-sized benchmark setting (small CNNs, CIFAR-10 sym50; see
# configs/_base_/smallcnn_cifar10_co_training.py and docs/benchmarks.md).
_base_ = ['../rolr/rolr_smallcnn_cifar10_sym50.py']
model = dict(aux_losses=[dict(type='NegScale', taxonomy='cifar10')])
