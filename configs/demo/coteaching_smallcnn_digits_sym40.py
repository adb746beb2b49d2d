# Co-teaching on the digits demo: small-loss exchange, forget rate 0.4 reached after 10 epochs.
_base_ = ['./_co_training_digits.py']
model = dict(type='CoTeaching', warmup_epochs=0, forget_rate=0.4, num_gradual=10)
train_dataloader = dict(dataset=dict(dataset=dict(
    pipeline=[dict(type='RandomCrop', crop_size=8, padding=1), dict(type='PackNoisyInputs')])))
custom_hooks = [dict(type='CoTrainingHook')]
