# NegScale on RoLR, mini-WebVision (first 50 classes; paper Table 5). The paper gives no network
# or schedule; this keeps the CCL config by the same authors (ResNet-50 from scratch, Adam
# lr 1e-3, 4 GPUs x 32, 500 epochs, 80 warm-up epochs) and trains RoLR (lambda_p = 2, T = 1)
# + NegScale with the webvision_mini taxonomy.
_base_ = ['../ccl/ccl_resnet50_4xb32-500e_webvision-mini.py']
model = dict(_delete_=True, type='RoLR', network={{_base_.network}}, warmup_epochs=80,
             temperature=1.0, lambda_p=2.0,
             aux_losses=[dict(type='NegScale', taxonomy='webvision_mini', eta_min=3, eta_max=5,
                              lambda_snop=1.0, mu_dcsa=1.0)])
