# RoLR on the digits demo: refurbished targets w * y + (1 - w) * q on the strong view.
_base_ = ['./_co_training_digits.py']
model = dict(type='RoLR', lambda_p=1.0)
