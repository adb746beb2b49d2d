"""A data preprocessor for batches whose samples carry several views of one image."""
import torch
from mmpretrain.models.utils import ClsDataPreprocessor

from mmnoisy.registry import MODELS


@MODELS.register_module()
class MultiViewDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` that also takes multi-view batches.

    A pipeline with ``MultiView`` (weak + strong, or DivideMix's two weak views) makes each
    sample's ``inputs`` a list of V images; collated, the batch is a list of V lists
    (``pseudo_collate``) or of V stacked (B, C, H, W) tensors (``default_collate``, what the
    dataset configs use: one tensor per view crosses from a loader worker instead of one per
    image). Each view is normalised like a single-view batch and the result is a list of V
    (B, C, H, W) tensors, view order as in the pipeline. Single-view batches come back as one
    tensor, as from ``ClsDataPreprocessor`` (the record pass and validation use those).
    """

    def forward(self, data, training=False):
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)) and inputs and (
                isinstance(inputs[0], (list, tuple)) or
                (isinstance(inputs[0], torch.Tensor) and inputs[0].dim() == 4)):
            views = [super(MultiViewDataPreprocessor, self).forward(
                dict(inputs=view, data_samples=None), training)['inputs'] for view in inputs]
            samples = data.get('data_samples')
            if samples is not None:
                samples = self.cast_data(samples)
            return dict(inputs=views, data_samples=samples)
        return super().forward(data, training)
