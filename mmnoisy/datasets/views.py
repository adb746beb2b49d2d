"""Views of a training set through another pipeline, for passes over the data outside the
training loop (the per-sample record's pass, VRLVMix's feature pass, neighbour mining)."""
import torch
from mmengine.dataset import Compose, pseudo_collate

from mmnoisy.datasets.noisy_dataset import find_noisy_dataset


class PipelineView(torch.utils.data.Dataset):
    """The samples of ``dataset`` through another pipeline (shares the dataset's memory)."""

    def __init__(self, dataset, pipeline):
        self.dataset, self.pipeline = dataset, Compose(pipeline)

    @property
    def metainfo(self):
        return self.dataset.metainfo

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, idx):
        return self.pipeline(self.dataset.get_data_info(idx))


def train_transforms(dataset, weak_only=False):
    """The transforms of the training dataset's pipeline; ``weak_only``: with each
    ``MultiView`` replaced by its first (weak) view's transforms, one view per sample."""
    train = getattr(dataset, 'pipeline', None) or \
        getattr(find_noisy_dataset(dataset).dataset, 'pipeline')
    transforms = list(train.transforms)
    if weak_only:
        for i, t in enumerate(transforms):
            if type(t).__name__ == 'MultiView':
                transforms[i] = t.pipelines[0]  # the first (weak) view
    return transforms


__all__ = ['PipelineView', 'train_transforms']


class SampleFetcher:
    """Preprocessed inputs of training samples by index, through the training pipeline's
    first (weak) view: the anchors of VRLVMix's mixup pairs and SCAN's neighbours, which are
    not in the batch. Runs in the main process (a few dozen samples per iteration)."""

    def __init__(self, dataset, preprocessor):
        self.view = PipelineView(dataset, train_transforms(dataset, weak_only=True))
        self.preprocessor = preprocessor

    def __call__(self, indices):
        data = pseudo_collate([self.view[int(i)] for i in indices])
        return self.preprocessor(data, False)['inputs']
