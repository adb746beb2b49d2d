# DDyna-S (DynaCor Sec. 5.5) on the digits demo: DivideMix whose GMM co-divide is replaced by
# DynaCor's detection. The training set carries 10% label-corrupted copies; DivideMix's
# test-transform pass records each network's quantised dynamics every epoch from epoch 0, and
# from the end of warm-up each network trains with the clean probability (q_clean) DynaCor
# computes from its peer's dynamics.
_base_ = ['./dividemix_smallcnn_digits_sym40.py']
train_dataloader = dict(dataset=dict(
    _delete_=True,
    type='CorruptedCopyDataset',
    gamma=0.1,
    aug='border_crop',
    crop=1,
    seed=0,
    dataset=_base_.train_dataloader.dataset))
custom_hooks = [
    dict(type='CoTrainingHook'),
    dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch=0,
         signals=dict(margin_sign=None)),
    dict(type='DynaCorSelectionHook', begin_epoch='warmup',
         dynacor=dict(epochs=5, batch_size=256)),
]
