# DynaCor at CPU size: the small CNN trained as the paper trains its classifier, scaled down
# to 40 epochs (SGD 0.1, momentum 0.9, wd 5e-4, batch 128, lr x0.01 at 20/24/28/32/36 as the
# authors' 50/60/70/80/90 of 100), CIFAR-10 with 60% symmetric noise plus 10% corrupted copies.
# tools/benchmark/bench_dynacor.py detection runs it on a subset under three noise types.
_base_ = ['./_dynacor_resnet34_cifar.py']
model = dict(backbone=dict(_delete_=True, type='SmallCNN', widths=(32, 64, 128)),
             head=dict(in_channels=128))
train_dataloader = dict(num_workers=2, dataset=dict(dataset=dict(
    noise=dict(type='symmetric', rate=0.6, seed=0))))
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[20, 24, 28, 32, 36],
                       gamma=0.01)
train_cfg = dict(by_epoch=True, max_epochs=40, val_interval=1)
