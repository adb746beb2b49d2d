"""``CoTrainingHook``: start-up checks of a two-network run, and the learner's clock.

Before training it checks what would otherwise fail late or silently: one optimizer per
network, warm-up shorter than training, enough views from the training pipeline for the
method, and a selection hook that computes every table the method reads (its ``consumes``).
It binds the training set to the learner (``bind_training_set``). Before every
iteration it tells the learner the epoch, the iteration and the seed (the ramp of lambda_u,
the forget-rate schedule and the per-iteration random draws depend on them). With
``CoTrainingBatchSampler`` it gives the sampler the learner's labelled sets, which the sampler
reads when each epoch's iteration begins (after the selection hooks).
"""
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapperDict

from mmnoisy.datasets.samplers import CoTrainingBatchSampler
from mmnoisy.engine.utils import built_loop, resolve_begin_epoch, unwrap
from mmnoisy.models.learners.co_training import CoTrainingLearner
from mmnoisy.registry import HOOKS
from .gmm_confidence_hook import GMMConfidenceHook
from .selection_hook import SelectionHook


@HOOKS.register_module()
class CoTrainingHook(Hook):
    priority = 'VERY_HIGH'

    def before_run(self, runner):
        model = unwrap(runner.model)
        if not isinstance(model, CoTrainingLearner):
            raise TypeError(f'CoTrainingHook drives a co-training learner (CoTeaching, '
                            f'DivideMix, RoLR, CCL, ...), not {type(model).__name__}')
        loop = built_loop(runner, 'train')
        if loop is None:
            return
        if model.warmup_epochs >= runner.max_epochs:
            raise ValueError(f'warm-up ({model.warmup_epochs} epochs) must be shorter than '
                             f'training (max_epochs={runner.max_epochs})')
        wrapper = runner.optim_wrapper
        names = model.networks
        if not isinstance(wrapper, OptimWrapperDict) or set(names) - set(wrapper.keys()):
            keys = list(wrapper.keys()) if isinstance(wrapper, OptimWrapperDict) else 'one'
            raise ValueError(f'{type(model).__name__} trains {list(names)} with one optimizer '
                             f'each, but optim_wrapper gives {keys}: use optim_wrapper=dict('
                             "constructor='CoTrainingOptimWrapperConstructor', optimizer=...)")
        model.check_views(_num_views(loop.dataloader.dataset))
        connect_streams(loop.dataloader, model)
        model.bind_training_set(loop.dataloader.dataset)
        if model.consumes:
            check_selection_hooks(runner, model)

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
    if not model.two_stream:
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


def check_selection_hooks(runner, model):
    """One selection hook that computes what the learner reads, from the end of warm-up."""
    hooks = [h for h in runner.hooks if isinstance(h, SelectionHook)]
    if not hooks:
        what = 'GMM confidence' if model.selection_hook == 'GMMConfidenceHook' else 'selection'
        raise ValueError(f'{type(model).__name__} trains with the {what} of each '
                         f'sample: add SampleRecordHook and {model.selection_hook}('
                         "begin_epoch='warmup') to custom_hooks")
    if len(hooks) > 1:
        raise ValueError(f'{type(model).__name__} takes one selection per epoch, but '
                         f'custom_hooks has {len(hooks)} selection hooks: '
                         f'{[type(h).__name__ for h in hooks]}')
    # whether the hook computes what the learner reads: SelectionHook.before_run
    hook = hooks[0]
    begin = resolve_begin_epoch(hook.begin_epoch, runner)
    if begin > model.warmup_epochs:
        raise ValueError(f'{type(hook).__name__} starts at epoch {begin} but '
                         f'the method starts after {model.warmup_epochs} warm-up epochs')
    if isinstance(hook, GMMConfidenceHook) and not hook.co_divide:
        runner.logger.warning(f'{type(hook).__name__}(co_divide=False): each network '
                              "trains with its own confidence, not its peer's")
