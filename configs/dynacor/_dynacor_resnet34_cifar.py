# DynaCor (Kim et al., CVPR 2024) as its Table 2 runs it: a ResNet-34 (3x3 stem) from scratch
# trained with CE for 100 epochs on CIFAR plus gamma = 10% label-corrupted copies (a 4-px
# border cropped off and resized back, the label replaced by another class drawn uniformly).
# The quantised dynamics sign(f_y - max_other f) of every row are recorded from the training
# forward (online, every epoch); after training the dynamics encoder (3-layer 1-D CNN, 15
# epochs, Adam 1e-5, batch 1024, alpha = 0.5) flags the mislabelled samples, and AUM,
# Avg.Encoder, small-loss GMM and confident learning run on the same record.
# The classifier recipe is the authors' code (REFERENCE section 4): SGD 0.1, momentum 0.9,
# wd 5e-4, batch 128, lr x0.01 at 50/60/70/80/90; one CE over originals + copies
# (copy_loss='concat', behind the published F1; the paper's Eq. 2 is copy_loss='eq2').
_base_ = [
    '../_base_/models/resnet34_cifar.py',
    '../_base_/datasets/noisy_cifar10.py',
    '../_base_/schedules/sgd_100e_dynacor.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(dataset=dict(
    _delete_=True,
    type='CorruptedCopyDataset',
    gamma=0.1,
    aug='border_crop',
    crop=4,
    seed=0,
    dataset=_base_.train_dataloader.dataset))

custom_hooks = [
    dict(type='SampleRecordHook', mode='online',
         signals=dict(margin_sign=None, margin=1, loss=1, prob=1)),
    dict(type='NoisyLabelDetectionHook',
         methods=['dynacor', 'aum', 'avg_encoder', 'gmm', 'cl'],
         dynacor=dict(alpha=0.5, epochs=15, batch_size=1024, lr=1e-5, weight_decay=1e-4,
                      distance='cosine', score_distance='sqeuclidean', metric_rows='paired'),
         copy_loss='concat'),
]
