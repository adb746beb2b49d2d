# NegScale on RoLR, Animal-10N (paper Table 4). The paper gives no network or schedule for it;
# this keeps everything of the CCL config by the same authors (ResNet-50 from scratch on the
# 64x64 images, Adam lr 1e-3, batch 128, 500 epochs, 30 warm-up epochs) and trains RoLR
# (lambda_p = 2, T = 1) + NegScale with the animal10n taxonomy.
_base_ = ['../ccl/ccl_resnet50_1xb128-500e_animal10n-real.py']
model = dict(_delete_=True, type='RoLR', network={{_base_.network}}, warmup_epochs=30,
             temperature=1.0, lambda_p=2.0,
             aux_losses=[dict(type='NegScale', taxonomy='animal10n', eta_min=3, eta_max=5,
                              lambda_snop=1.0, mu_dcsa=1.0)])
