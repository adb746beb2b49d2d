_base_ = ['./ccl_resnet50_1xb128-500e_animal10n-real.py']  # short alias
