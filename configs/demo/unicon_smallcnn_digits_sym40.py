# UNICON on the digits demo: uniform selection by the JSD of both networks' mean prediction
# (test transform), MixMatch on the two strong views, contrastive loss on the strong views of
# the unlabelled samples through a 128-d projector.
_base_ = ['./_co_training_digits.py']
model = dict(type='UNICON', lambda_u=30, lambda_c=0.025, contrast_temperature=0.05,
             network=dict(projector=dict(out_channels=128)))
weak_weak_strong_strong_pipeline = [
    dict(type='MultiView', num_views=[2, 2],
         transforms=[{{_base_.weak_pipeline}}, {{_base_.strong_pipeline}}]),
    dict(type='PackNoisyInputs'),
]
train_dataloader = dict(
    batch_sampler=dict(type='CoTrainingBatchSampler', unlabelled_batch_size='unicon',
                       warmup_batch_size=64, drop_last=True),
    dataset=dict(dataset=dict(pipeline=weak_weak_strong_strong_pipeline)))
custom_hooks = [
    dict(type='CoTrainingHook'),
    dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch='warmup',
         signals=dict(prob=1)),
    dict(type='UniconSelectionHook', d_u=0.7, tau=5, log_base='e', begin_epoch='warmup'),
]
# the projector is idle in warm-up (and when a batch has < 2 unlabelled samples): DDP must
# allow parameters without gradient there (they then keep their values, as in the authors' code)
model_wrapper_cfg = dict(find_unused_parameters=True)
