_base_ = ['./ccl_resnet50_4xb32-500e_webvision-mini.py']  # short alias
