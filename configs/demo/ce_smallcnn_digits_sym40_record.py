# The demo with the per-sample record: each epoch one no-grad pass (test transform) records
# every training sample's loss, margin, prediction and confidence; a two-component GMM on the
# losses gives each sample's probability of being clean, and the log reports how well
# "trusted = clean" matches the truth (precision, recall, F1, AUROC). After training the work
# dir holds sample_record.npz and selection_quality.json; plot them with
# python tools/analysis/plot_sample_record.py work_dirs/ce_smallcnn_digits_sym40_record
_base_ = ['./ce_smallcnn_digits_sym40.py']

custom_hooks = [
    dict(type='SampleRecordHook', mode='pass', pipeline=[dict(type='PackNoisyInputs')],
         signals=dict(loss=None, margin=None, pred=1, confidence=1)),
    dict(type='GMMConfidenceHook', signal='loss', begin_epoch=1),
]
