# DynaCor classifier: SGD lr 0.1, momentum 0.9, wd 5e-4, batch 128, 100 epochs,
# lr x0.01 at epochs 50, 60, 70, 80, 90 (as the authors' code does).
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[50, 60, 70, 80, 90],
                       gamma=0.01)
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)
