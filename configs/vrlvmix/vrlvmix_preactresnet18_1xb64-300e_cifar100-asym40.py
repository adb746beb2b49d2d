# VRLVMix on CIFAR-100 with 40% asymmetric noise (Table II): each class flips to the next one within
# blocks of 5 fine labels (as UNICON's code, whose numbers the paper compares with); lambda_u = 25,
# p_threshold = 0.5 and the warm-up negative-entropy penalty (our choice: DivideMix has no
# CIFAR-100 asymmetric setting). The paper uses SimCLR + SCAN here ("when the early model
# prediction ability was poor"): the sym80 config's SCAN and features, which switch on when the
# estimated noise rate exceeds 0.6.
_base_ = ['./vrlvmix_preactresnet18_1xb64-300e_cifar100-sym80.py']
model = dict(lambda_u=25, p_threshold=0.5, warmup_neg_entropy=True)
train_dataloader = dict(dataset=dict(noise=dict(_delete_=True, type='superclass', rate=0.4, seed=1, superclasses='blocks_of_5')))
