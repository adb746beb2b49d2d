# RoLR in the CPU-sized benchmark setting (small CNNs, see configs/_base_/smallcnn_cifar10_co_training.py).
_base_ = ['../_base_/smallcnn_cifar10_co_training.py']
model = dict(type='RoLR', lambda_p=1.0)
