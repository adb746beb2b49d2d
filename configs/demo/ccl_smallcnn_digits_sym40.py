# CCL on the digits demo: two small CNNs, 5 warm-up epochs, then Eq. 15 (CPU, about a minute).
_base_ = ['./_co_training_digits.py']
model = dict(type='CCL', temperature=0.5, threshold=0.95)
