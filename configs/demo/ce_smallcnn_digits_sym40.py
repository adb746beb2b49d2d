# The demo: a small CNN with plain cross-entropy on scikit-learn's 8x8 digits with 40%
# symmetric label noise, on CPU in well under 2 minutes. Test accuracy is printed after every
# epoch (accuracy/top1) with its mean over the last 10 epochs (accuracy/top1_last10).
_base_ = [
    '../_base_/models/small_cnn.py',
    '../_base_/datasets/digits.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(in_channels=1, widths=(32, 64)),
    head=dict(num_classes=10, in_channels=64),
    data_preprocessor=dict(num_classes=10, mean=[78.0], std=[96.0]))

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=30, eta_min=1e-4)
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=1)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=10, max_keep_ckpts=2, save_last=True))
