# DynaCor on the digits demo: a small CNN trained with CE on the digits (40% symmetric noise)
# plus 10% label-corrupted copies (a 1-px border cropped off and resized back, label replaced
# by another class); the quantised dynamics of every sample are recorded from the training
# forward and, after training, DynaCor's encoder clusters them. The baselines run on the same
# record. Suspects: work_dirs/dynacor_smallcnn_digits_sym40/noisy_label_detection/.
_base_ = ['./ce_smallcnn_digits_sym40.py']

train_dataloader = dict(dataset=dict(
    _delete_=True,
    type='CorruptedCopyDataset',
    gamma=0.1,
    aug='border_crop',
    crop=1,  # 8x8 images; the authors cut 4 px off 32x32 CIFAR images
    seed=0,
    dataset=dict(
        type='NoisyLabelDataset',
        dataset=dict(type='Digits', split='train', pipeline=[dict(type='PackNoisyInputs')]),
        noise=dict(type='symmetric', rate=0.4, seed=1))))

custom_hooks = [
    dict(type='SampleRecordHook', mode='online',
         signals=dict(margin_sign=None, margin=1, loss=1, prob=1)),
    dict(type='NoisyLabelDetectionHook', methods=['dynacor', 'aum', 'avg_encoder', 'gmm', 'cl'],
         dynacor=dict(alpha=0.5, epochs=15, batch_size=256), copy_loss='concat'),
]
