# CCL in the CPU-sized benchmark setting (small CNNs, see configs/_base_/smallcnn_cifar10_co_training.py).
_base_ = ['../_base_/smallcnn_cifar10_co_training.py']
model = dict(type='CCL', temperature=0.5, threshold=0.95)
