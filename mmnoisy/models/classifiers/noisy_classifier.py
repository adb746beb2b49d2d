"""A single-network classifier that takes per-sample loss weights and exposes features."""
import torch
from mmpretrain.models import ImageClassifier

from mmnoisy.registry import MODELS


@MODELS.register_module()
class NoisyClassifier(ImageClassifier):
    """mmpretrain's ``ImageClassifier`` plus what label-noise methods need.

    - ``loss(inputs, data_samples, sample_weight=None)``: per-sample weights multiply each
      sample's loss (the reduction stays the batch mean, as HMW's ``mean(CE * w)``).
    - ``sample_weights``: an optional (N,) tensor of weights indexed by ``sample_idx``, set
      by a hook or method (HMW); used when no explicit ``sample_weight`` is given. It is a
      plain attribute, not a registered buffer, so DDP does not overwrite it from rank 0.
    - ``features_and_logits(inputs)``: the pooled feature vector and the logits in one pass.

    Only ``gt_label`` (the noisy label) reaches the loss.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sample_weights = None

    def features_and_logits(self, inputs):
        feats = self.extract_feat(inputs)
        logits = self.head(feats)
        feat = feats[-1] if isinstance(feats, tuple) else feats
        return feat, logits

    def lookup_sample_weight(self, data_samples, device):
        if self.sample_weights is None:
            return None
        idx = torch.as_tensor([s.sample_idx for s in data_samples], dtype=torch.long)
        return self.sample_weights[idx].to(device)

    def loss(self, inputs, data_samples, sample_weight=None):
        feats = self.extract_feat(inputs)
        if sample_weight is None:
            sample_weight = self.lookup_sample_weight(data_samples, inputs.device)
        if sample_weight is None:
            return self.head.loss(feats, data_samples)
        if sample_weight.shape != (len(data_samples), ):
            raise ValueError(f'sample_weight must have shape ({len(data_samples)},), got '
                             f'{tuple(sample_weight.shape)}')
        return self.head.loss(feats, data_samples, weight=sample_weight)
