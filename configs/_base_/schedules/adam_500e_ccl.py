# CCL: Adam (beta1 0.9) lr 1e-3, batch 128, 500 epochs, constant learning rate.
# one optimizer per network (two-network learners)
optim_wrapper = dict(constructor='CoTrainingOptimWrapperConstructor',
                     optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.999)))
param_scheduler = dict(type='ConstantLR', by_epoch=True, factor=1.0)
train_cfg = dict(by_epoch=True, max_epochs=500, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)
