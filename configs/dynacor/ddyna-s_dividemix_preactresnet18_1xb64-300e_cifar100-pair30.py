# DDyna-S (DynaCor Sec. 5.5, Fig. 3): the CIFAR-100 instance-noise config with 30% pair-flip
# noise instead.
_base_ = ['./ddyna-s_dividemix_preactresnet18_1xb64-300e_cifar100-ins40.py']
train_dataloader = dict(dataset=dict(dataset=dict(
    noise=dict(_delete_=True, type='pairflip', rate=0.3, seed=0))))
