"""A single-network classifier that takes per-sample loss weights and exposes features."""
import torch
import torch.nn.functional as F
from mmpretrain.models import ImageClassifier

from mmnoisy.models.interfaces import RecordsSamples, TakesSampleWeights, TakesSelection
from mmnoisy.models.losses import negative_entropy
from mmnoisy.models.plugins import aux_loss_terms, build_aux_losses
from mmnoisy.registry import MODELS


@MODELS.register_module()
class NoisyClassifier(ImageClassifier, RecordsSamples, TakesSampleWeights, TakesSelection):
    """mmpretrain's ``ImageClassifier`` plus what label-noise methods need.

    - ``loss(inputs, data_samples, sample_weight=None)``: per-sample weights multiply each
      sample's loss (the reduction stays the batch mean, as HMW's ``mean(CE * w)``).
    - ``sample_weights``: an optional (N,) tensor of weights indexed by ``sample_idx``, set
      by a hook or method (HMW); used when no explicit ``sample_weight`` is given. It is a
      plain attribute, not a registered buffer, so DDP does not overwrite it from rank 0.
    - ``features_and_logits(inputs)``: the pooled feature vector and the logits in one pass;
      also ``forward(inputs, mode='both')``, so that a DDP-wrapped network can be called for
      it (two-network learners).
    - per-sample record: ``record_nets``/``record_outputs`` let ``SampleRecordHook`` run its
      pass; with ``record_online`` the training forward writes the signals itself.
    - a selection (:class:`~mmnoisy.models.interfaces.TakesSelection`): a GMM hook may hand
      it the clean probability of every sample each epoch (logged; its step reads nothing:
      ``consumes`` is empty).

    - ``normalized_logits``: the training loss on l2-normalised logits, in every epoch (the
      HMW code's classifier; ``HMWHook(normalized_logits=True)`` sets it). Prediction uses
      the ordinary logits (the argmax is the same).
    - ``confidence_penalty``: add the negative-entropy penalty mean(sum p log p) of the
      training logits (the DivideMix / UNICON / HMW codes' term for asymmetric noise).
    - ``aux_losses``: plug-in losses on the pooled features (e.g. ``dict(type='NegScale',
      taxonomy='cifar10')``), added to the head's loss.
    - ``projector``: an optional projection of the pooled features for contrastive terms,
      ``dict(out_channels=128, norm=True)`` = Linear + BatchNorm1d (UNICON's 128-d head);
      ``forward(inputs, mode='proj')`` returns (features, logits, projections) in one pass.

    Only ``gt_label`` (the noisy label) reaches the loss.
    """
    record_nets = ('net', )
    #: whether the training forward can write the per-sample record (mode='online')
    records_online = True

    def __init__(self, *args, aux_losses=None, projector=None, normalized_logits=False,
                 confidence_penalty=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.projector = None
        if projector is not None:
            projector = dict(projector)
            out = int(projector.pop('out_channels', 128))
            norm = bool(projector.pop('norm', True))
            in_channels = projector.pop('in_channels', getattr(self.head, 'in_channels', None))
            if projector:
                raise ValueError(f'unknown keys in projector: {sorted(projector)}')
            if in_channels is None:
                raise ValueError('projector needs in_channels (the head has none)')
            layers = [torch.nn.Linear(int(in_channels), out)]
            if norm:
                layers.append(torch.nn.BatchNorm1d(out))
            self.projector = torch.nn.Sequential(*layers)
        self.aux_losses = build_aux_losses(aux_losses, getattr(self.head, 'num_classes', None))
        self.sample_weights = None
        self.normalized_logits = bool(normalized_logits)
        self.confidence_penalty = bool(confidence_penalty)
        self.sample_record = None
        self.record_online = False

    @property
    def num_classes(self):
        return getattr(self.head, 'num_classes', None)

    def class_weights(self):
        """(C, D) weights of a linear head, or None."""
        fc = getattr(self.head, 'fc', None)
        return getattr(fc, 'weight', None)

    def record_outputs(self, inputs):
        feat, logits = self.features_and_logits(inputs)
        return {'net': (feat, logits, self.class_weights())}

    @staticmethod
    def _pooled(feats):
        return feats[-1] if isinstance(feats, tuple) else feats

    def features_and_logits(self, inputs):
        feats = self.extract_feat(inputs)
        return self._pooled(feats), self.head(feats)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if mode == 'both':
            return self.features_and_logits(inputs)
        if mode == 'proj':
            if self.projector is None:
                raise ValueError("forward(mode='proj') needs a projector: NoisyClassifier("
                                 'projector=dict(out_channels=128))')
            feat, logits = self.features_and_logits(inputs)
            return feat, logits, self.projector(feat)
        return super().forward(inputs, data_samples, mode)

    def lookup_sample_weight(self, data_samples, device):
        if self.sample_weights is None:
            return None
        idx = torch.as_tensor([s.sample_idx for s in data_samples], dtype=torch.long)
        return self.sample_weights[idx].to(device)

    def loss(self, inputs, data_samples, sample_weight=None):
        feats = self.extract_feat(inputs)
        if sample_weight is None:
            sample_weight = self.lookup_sample_weight(data_samples, inputs.device)
        kwargs = {}
        if sample_weight is not None:
            if sample_weight.shape != (len(data_samples), ):
                raise ValueError(f'sample_weight must have shape ({len(data_samples)},), got '
                                 f'{tuple(sample_weight.shape)}')
            kwargs['weight'] = sample_weight
        logits = self.head(feats)
        record = self.sample_record
        recording = self.record_online and record is not None and record.active
        if recording or self.aux_losses:
            labels = torch.cat([s.gt_label for s in data_samples]).to(logits.device)
        if recording:
            record.record_batch('net', [s.sample_idx for s in data_samples], logits, labels,
                                self._pooled(feats), self.class_weights())
        loss_logits = F.normalize(logits, dim=1) if self.normalized_logits else logits
        losses = self.head._get_loss(loss_logits, data_samples, **kwargs)
        if self.confidence_penalty:
            losses['loss_penalty'] = negative_entropy(loss_logits)
        if self.aux_losses:
            aux, parts = aux_loss_terms(self.aux_losses, self._pooled(feats), logits, labels)
            # the sum is a 'loss' key (optimised); the parts are logged only
            parts = {k.replace('.', '_'): v for k, v in parts.items() if not k.endswith('.loss')}
            losses.update(parts, loss_aux=aux)
        return losses
