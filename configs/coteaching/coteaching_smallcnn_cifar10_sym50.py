# Co-teaching in the CPU-sized benchmark setting (small CNNs, see configs/_base_/smallcnn_cifar10_co_training.py):
# forget rate = the noise rate (0.5), reached after 10 epochs; no warm-up.
_base_ = ['../_base_/smallcnn_cifar10_co_training.py']
model = dict(type='CoTeaching', warmup_epochs=0, forget_rate=0.5, num_gradual=10)
train_dataloader = dict(dataset=dict(dataset=dict(pipeline={{_base_.train_pipeline}})))
custom_hooks = [dict(type='CoTrainingHook')]
