"""Shared pieces of mmnoisy's datasets."""


class LabelArrayMixin:
    """``get_gt_labels`` from the label array kept at load time (``self._gt_labels``), so the
    noise wrapper does not decode every sample to learn the labels. Falls back to the
    per-sample path when mmengine took a subset (``indices=``) after loading."""

    def get_gt_labels(self):
        if len(self._gt_labels) != len(self):
            return super().get_gt_labels()
        return self._gt_labels.copy()
