# RoLR on CIFAR100 pair40.
_base_ = ['./rolr_preactresnet18_1xb448-515e_cifar100-sym20.py']
train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='pairflip', rate=0.4, seed=1)))
# pair flips are asymmetric noise: the code's warm-up adds the confidence penalty there
model = dict(warmup_neg_entropy=True)
