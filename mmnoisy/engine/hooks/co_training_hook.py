"""``CoTrainingHook``: start-up checks of a two-network run, and the learner's clock.

Before training it checks what would otherwise fail late or silently: one optimizer per
network, warm-up shorter than training, enough views from the training pipeline for the
method, and a GMM confidence hook when the method reads the confidence. Before every
iteration it tells the learner the epoch, the iteration and the seed (the ramp of lambda_u,
the forget-rate schedule and the per-iteration random draws depend on them). With
``CoTrainingBatchSampler`` it gives the sampler the learner's labelled sets, which the sampler
reads when each epoch's iteration begins (after the selection hooks).
"""
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapperDict

from mmnoisy.datasets.samplers import CoTrainingBatchSampler
from mmnoisy.engine.utils import built_loop, resolve_begin_epoch, unwrap
from mmnoisy.registry import HOOKS
from .gmm_confidence_hook import GMMConfidenceHook


@HOOKS.register_module()
class CoTrainingHook(Hook):
    priority = 'VERY_HIGH'

    def before_run(self, runner):
        model = unwrap(runner.model)
        if not hasattr(model, 'set_progress'):
            raise TypeError(f'CoTrainingHook drives a co-training learner (CoTeaching, '
                            f'DivideMix, RoLR, CCL, ...), not {type(model).__name__}')
        loop = built_loop(runner, 'train')
        if loop is None:
            return
        if model.warmup_epochs >= runner.max_epochs:
            raise ValueError(f'warm-up ({model.warmup_epochs} epochs) must be shorter than '
                             f'training (max_epochs={runner.max_epochs})')
        wrapper = runner.optim_wrapper
        names = getattr(model, 'networks', ())
        if not isinstance(wrapper, OptimWrapperDict) or set(names) - set(wrapper.keys()):
            keys = list(wrapper.keys()) if isinstance(wrapper, OptimWrapperDict) else 'one'
            raise ValueError(f'{type(model).__name__} trains {list(names)} with one optimizer '
                             f'each, but optim_wrapper gives {keys}: use optim_wrapper=dict('
                             "constructor='CoTrainingOptimWrapperConstructor', optimizer=...)")
        model.check_views(_num_views(loop.dataloader.dataset))
        connect_streams(loop.dataloader, model)
        if model.needs_trust:
            kind = model.selection_hook
            gmm = [h for h in runner.hooks if isinstance(h, GMMConfidenceHook) and
                   kind in {c.__name__ for c in type(h).__mro__}]
            if not gmm:
                what = 'GMM confidence' if kind == 'GMMConfidenceHook' else 'selection'
                raise ValueError(f'{type(model).__name__} trains with the {what} of each '
                                 f'sample: add SampleRecordHook and {kind}('
                                 "begin_epoch='warmup') to custom_hooks")
            begin = resolve_begin_epoch(gmm[0].begin_epoch, runner)
            if begin > model.warmup_epochs:
                raise ValueError(f'GMMConfidenceHook starts at epoch {begin} but '
                                 f'the method starts after {model.warmup_epochs} warm-up epochs')
            if not gmm[0].co_divide:
                runner.logger.warning('GMMConfidenceHook(co_divide=False): each network '
                                      'trains with its own confidence, not its peer\'s')

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        model = unwrap(runner.model)
        loader_len = max(len(runner.train_dataloader), 1)
        model.set_progress(runner.epoch, runner.iter, runner.epoch + batch_idx / loader_len,
                           runner.seed)

    def before_val_epoch(self, runner):
        model = unwrap(runner.model)
        model.set_progress(runner.epoch, runner.iter, float(runner.epoch), runner.seed)


def connect_streams(dataloader, model):
    """Give a ``CoTrainingBatchSampler`` the learner's labelled sets, after checking that the
    learner and the dataset take two-stream batches."""
    sampler = getattr(dataloader, 'batch_sampler', None)
    if not isinstance(sampler, CoTrainingBatchSampler):
        return
    if not getattr(model, 'two_stream', False):
        raise ValueError(f'CoTrainingBatchSampler draws labelled / unlabelled streams for '
                         f'DivideMix, UNICON and VRLVMix; {type(model).__name__} trains both '
                         'networks on one batch: remove train_dataloader.batch_sampler')
    dataset = dataloader.dataset
    if not getattr(dataset, 'takes_stream_index', False):
        raise ValueError('CoTrainingBatchSampler needs the training dataset to be a '
                         f'NoisyLabelDataset or CorruptedCopyDataset, not '
                         f'{type(dataset).__name__} (they carry each sample\'s stream)')
    sampler.labelled_sets = model.labelled_sets


def _num_views(dataset):
    sample = dataset[0]
    inputs = sample['inputs']
    return len(inputs) if isinstance(inputs, (list, tuple)) else 1
