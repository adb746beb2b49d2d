# DivideMix / VRLVMix: SGD lr 0.02, momentum 0.9, wd 5e-4, 300 epochs, lr/10 from epoch 150.
# one optimizer per network (two-network learners)
optim_wrapper = dict(constructor='CoTrainingOptimWrapperConstructor',
                     optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[150], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)
