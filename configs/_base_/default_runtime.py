# Runtime shared by every mmnoisy config.
default_scope = 'mmnoisy'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3, save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
    # checks num_classes and saves the noisy labels into the work dir
    noisy_labels=dict(type='NoisyLabelHook'),
    # a resumed run validates its last epoch again when the checkpoint predates that
    # validation, so the mean accuracy of the last k epochs stays complete
    resume_val=dict(type='ResumeValHook'),
)

# nccl on GPUs; NoisyRunner switches to gloo when CUDA is unavailable (CPU dist_train.sh).
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False

# A fixed seed makes runs reproducible; the label noise has its own seed (noise.seed).
randomness = dict(seed=0, deterministic=False)
