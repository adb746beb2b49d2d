# DivideMix on the digits demo: two weak views, GMM on losses under the test transform.
_base_ = ['./_co_training_digits.py']
model = dict(type='DivideMix', p_threshold=0.5, lambda_u=25)
# the authors' batching: net1's epoch, then net2's, each on its own labelled / unlabelled
# streams; warm-up batches of twice the batch (docs/reproduction.md)
train_dataloader = dict(
    batch_sampler=dict(type='CoTrainingBatchSampler', warmup_batch_size=128),
    dataset=dict(dataset=dict(pipeline={{_base_.weak_weak_pipeline}})))
custom_hooks = [
    dict(type='CoTrainingHook'),
    dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch='warmup',
         signals=dict(loss=1)),
    dict(type='GMMConfidenceHook', signal='loss', begin_epoch='warmup'),
]
