"""The door between hooks and learners: what a learner offers, declared once.

Hooks decide *when* something runs; learners decide what a training step does. They meet
only through the three interfaces below, which hooks test with ``isinstance`` and call
through the names declared here (no attribute probing).

* :class:`RecordsSamples`: the learner can be recorded per sample (``SampleRecordHook``).
* :class:`TakesSampleWeights`: a per-sample loss weight (``HMWHook``, DynaCor's Eq. 2).
* :class:`TakesSelection`: a per-sample selection each epoch (the selection hooks: GMM,
  UNICON, VRLV, DynaCor's q_clean). A hook asks :meth:`TakesSelection.selection_request`
  what the learner needs and hands each network a :class:`Selection`.
"""
import dataclasses
from typing import Mapping, Optional

import torch

#: the per-sample tables a selection may carry, in the order of :class:`Selection`'s fields
SELECTION_FIELDS = ('trust', 'labelled', 'pairs', 'pair_labels', 'class_weights', 'scan')


@dataclasses.dataclass
class Selection:
    """One network's selection for one epoch; host tensors indexed by ``sample_idx``.

    Attributes:
        trust: (N,) float32, the clean probability (GMM), or the weight of the given label
            in label refinement (UNICON, VRLVMix).
        labelled: (N,) bool, the labelled set when it is not ``trust > p_threshold``.
        pairs: (N,) int64, the anchor of the mixup pair whose pool side is each sample, -1
            where none (VRLVMix); ``pair_labels``: (N,) int64, the anchor's class.
        class_weights: (C,) float, the weight of each class's labelled rows (VRLVMix Eq. 10).
        scan: (N, k) int32, neighbours that share each sample's predicted class, -1 elsewhere
            (VRLVMix's SCAN loss while it is on; None while it is off).
    """
    trust: torch.Tensor
    labelled: Optional[torch.Tensor] = None
    pairs: Optional[torch.Tensor] = None
    pair_labels: Optional[torch.Tensor] = None
    class_weights: Optional[torch.Tensor] = None
    scan: Optional[torch.Tensor] = None

    def fields(self):
        """The names of the tables this selection carries."""
        return frozenset(f for f in SELECTION_FIELDS if getattr(self, f) is not None)


@dataclasses.dataclass(frozen=True)
class SelectionRequest:
    """What a learner asks of the selection hook, read once at start-up.

    Attributes:
        learner: the learner's class name (for messages).
        networks: the networks that train with a selection.
        num_classes: C.
        consumes: the :class:`Selection` fields its training step cannot do without.
        hook: the hook that computes them (named in messages).
        record_hint: the ``signals`` that hook needs recorded (named in messages).
        p_threshold: the learner's cut on ``trust`` (None: it has none).
        options: strategy options the learner holds (VRLVMix: ``vrlv``, ``balancing``,
            ``class_balance``, ``scan``).
    """
    learner: str
    networks: tuple
    num_classes: int
    consumes: frozenset = frozenset()
    hook: str = 'GMMConfidenceHook'
    record_hint: str = 'signals=dict(loss=1)'
    p_threshold: Optional[float] = None
    options: Mapping = dataclasses.field(default_factory=dict)

    def peer_of(self, name):
        """The other network of two (itself when there is one)."""
        nets = tuple(self.networks)
        return nets[1 - nets.index(name)] if len(nets) == 2 else name


class RecordsSamples:
    """A learner whose per-sample signals ``SampleRecordHook`` can record.

    ``record_nets`` names the recorded networks; ``record_outputs(inputs)`` gives
    ``{net: (features, logits, class_weights)}`` for a batch; ``records_online`` says whether
    the training forward writes the record itself (``mode='online'``); ``num_classes`` is C.
    The hook sets ``sample_record`` (the :class:`~mmnoisy.engine.sample_record.SampleRecord`)
    and ``record_online``.
    """
    num_classes = None
    record_nets = ('net', )
    records_online = False
    sample_record = None
    record_online = False

    def record_outputs(self, inputs):
        raise NotImplementedError


class TakesSampleWeights:
    """A learner that multiplies each sample's loss by ``sample_weights[sample_idx]`` (an
    (N,) float tensor or None), and whose linear head's ``class_weights()`` (C, D) the
    hyperspherical signals read (None without one)."""
    sample_weights = None

    def class_weights(self):
        return None


class TakesSelection:
    """A learner that trains with a per-sample selection computed by a hook each epoch.

    Subclasses declare ``consumes`` (the fields their step reads), ``selection_hook`` and
    ``record_hint`` (for messages), and may extend :meth:`selection_request`. The hook calls
    :meth:`set_selection` for each network; the step reads :meth:`selection`.
    """
    consumes = frozenset()
    selection_hook = 'GMMConfidenceHook'
    record_hint = 'signals=dict(loss=1)'

    def selection_networks(self):
        return tuple(getattr(self, 'networks', None) or self.record_nets)

    def selection_request(self):
        return SelectionRequest(
            learner=type(self).__name__, networks=self.selection_networks(),
            num_classes=self.num_classes, consumes=frozenset(self.consumes),
            hook=self.selection_hook, record_hint=self.record_hint,
            p_threshold=getattr(self, 'p_threshold', None), options=self.selection_options())

    def selection_options(self):
        return {}

    @property
    def selections(self):
        """{network: the :class:`Selection` it trains with this epoch}."""
        if '_selections' not in self.__dict__:
            self.__dict__['_selections'] = {}
        return self.__dict__['_selections']

    def set_selection(self, name, selection):
        """Hand network ``name`` this epoch's selection (refused when it lacks a table the
        learner's step reads, or names no network of the learner)."""
        if name not in self.selection_networks():
            raise KeyError(f'{type(self).__name__} has no network {name!r} '
                           f'(networks: {list(self.selection_networks())})')
        missing = set(self.consumes) - selection.fields()
        if missing:
            raise ValueError(f'{type(self).__name__} trains with {sorted(self.consumes)} of '
                             f'each sample; the selection for {name} lacks {sorted(missing)}: '
                             f'compute it with {self.selection_hook}')
        self.selections[name] = selection

    def selection(self, name):
        """Network ``name``'s selection of this epoch; a message saying what to add when no
        hook has computed one."""
        sel = self.selections.get(name)
        if sel is None:
            what = 'GMM confidence' if self.selection_hook == 'GMMConfidenceHook' else \
                f'{self.selection_hook} selection'
            raise RuntimeError(
                f'{type(self).__name__} needs the {what} of each sample at epoch '
                f'{getattr(self, "epoch", 0) + 1}, but none was computed: add SampleRecordHook('
                f"{self.record_hint}) and {self.selection_hook}(begin_epoch='warmup') to "
                'custom_hooks')
        return sel
