# CE with the small CNN on CIFAR-10 (50% symmetric noise) plus the per-sample record: one pass per
# epoch with the test transform records the losses, a GMM splits them, and the log shows how well
# "trusted = clean" matches the truth. CE itself does not use the split: this config shows what the
# small-loss criterion of DivideMix/RoLR would select from a plain CE model.
_base_ = ['./ce_smallcnn_cifar10_sym50.py']

custom_hooks = [
    dict(type='SampleRecordHook', mode='pass', pipeline=[dict(type='PackNoisyInputs')],
         signals=dict(loss=None, margin=None, pred=1, confidence=1)),
    dict(type='GMMConfidenceHook', signal='loss', begin_epoch=1),
]
