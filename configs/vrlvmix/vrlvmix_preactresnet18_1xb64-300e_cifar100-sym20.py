# VRLVMix on CIFAR-100 with 20% symmetric noise (Table I): the CIFAR-10 config with 100 classes,
# 30 warm-up epochs and DivideMix's lambda_u = 25.
_base_ = ['./vrlvmix_preactresnet18_1xb64-300e_cifar10-sym20.py']
model = dict(network=dict(head=dict(num_classes=100)), warmup_epochs=30, lambda_u=25)
data_preprocessor = dict(num_classes=100, mean=[129.304, 124.070, 112.434],
                         std=[68.170, 65.392, 70.418])
train_dataloader = dict(dataset=dict(dataset=dict(type='CIFAR100', data_root='data/cifar100')))
val_dataloader = dict(dataset=dict(type='CIFAR100', data_root='data/cifar100'))
test_dataloader = val_dataloader
tau = 10
custom_hooks = [
    dict(type='CoTrainingHook'),
    # 30 warm-up epochs: the record only needs the tau + 1 epochs before the method starts
    dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch=30 - tau,
         signals=dict(loss=tau + 1, pred=tau + 1, feature=1)),
    dict(type='VRLVSelectionHook', tau=tau, begin_epoch='warmup', features='record'),
]
