# The CPU-sized setting of the co-training benchmark (docs/benchmarks.md): two small CNNs on
# CIFAR-10 with 50% symmetric noise, SGD with a cosine schedule, 5 warm-up epochs. Method
# configs (configs/<method>/<method>_smallcnn_cifar10_sym50.py) add the learner and hooks.
_base_ = [
    './models/small_cnn.py',
    './datasets/noisy_cifar10.py',
    './co_training_runtime.py',
]
network = {{_base_.model}}
model = dict(_delete_=True, type='CoTrainingLearner', network=network, warmup_epochs=5)
train_dataloader = dict(batch_size=128, num_workers=2,
                        dataset=dict(dataset=dict(pipeline={{_base_.weak_strong_pipeline}})))

optim_wrapper = dict(constructor='CoTrainingOptimWrapperConstructor',
                     optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=30, eta_min=1e-4)
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=1)
val_cfg = dict()
test_cfg = dict()
val_evaluator = dict(last_k=5)
test_evaluator = dict(last_k=5)
