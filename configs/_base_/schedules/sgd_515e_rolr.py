# RoLR: 15 warm-up + 500 epochs at SGD lr 0.02 (momentum 0.9, wd 5e-4), lr/10 for the last 100.
# one optimizer per network (two-network learners)
optim_wrapper = dict(constructor='CoTrainingOptimWrapperConstructor',
                     optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[415], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=515, val_interval=1)
val_cfg = dict()
test_cfg = dict()
