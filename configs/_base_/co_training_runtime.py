# Runtime of the two-network learners (Co-teaching, DivideMix, RoLR, CCL, ...): the default
# runtime, one DDP wrapper per network (so that each network's own update synchronises its
# gradients; mmengine's default wrapper would run a single-optimizer step instead), and the
# hooks of the GMM co-divide.
_base_ = ['./default_runtime.py']
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel', broadcast_buffers=False,
                         find_unused_parameters=False)

custom_hooks = [
    # start-up checks; tells the learner the epoch and iteration
    dict(type='CoTrainingHook'),
    # once per epoch from the end of warm-up: each network's per-sample loss under the weak
    # training transform (RoLR's and CCL's eval pass; DivideMix configs use 'test')
    dict(type='SampleRecordHook', mode='pass', pipeline='train_weak', begin_epoch='warmup',
         signals=dict(loss=1)),
    # GMM of each network's losses -> the confidence w its peer trains with (co-divide)
    dict(type='GMMConfidenceHook', signal='loss', begin_epoch='warmup'),
]
