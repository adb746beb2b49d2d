"""Start-up checks of the hook/learner interface (mmnoisy.models.interfaces), in-process with
a real Runner on the digits demos: a selection hook that does not compute what the learner
reads, or computes a set the learner would ignore, stops the run before its first iteration
with a message naming the hook to use; nothing is written."""
import os.path as osp

import numpy as np
import pytest

from mmnoisy.utils.tools import build_runner, load_config
from tests.conftest import ROOT

DEMO = 'configs/demo/{}_smallcnn_digits_sym40.py'
RECORD = dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch='warmup',
              signals=dict(loss=11, prob=1, pred=11, feature=1))
HOOKS = dict(gmm=dict(type='GMMConfidenceHook', begin_epoch='warmup'),
             unicon=dict(type='UniconSelectionHook', begin_epoch='warmup'),
             vrlv=dict(type='VRLVSelectionHook', begin_epoch='warmup'))


def start(tmp_path, demo, selection_hooks, extra=(), epochs=None):
    """The runner of ``demo`` with CoTrainingHook, the record and ``selection_hooks`` (names
    of HOOKS); with ``epochs``, one warm-up epoch and ``epochs`` in all."""
    cfg = load_config(osp.join(ROOT, DEMO.format(demo)))
    cfg.work_dir = str(tmp_path / 'work')
    if epochs:
        cfg.model.warmup_epochs, cfg.train_cfg.max_epochs = 1, epochs
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.custom_hooks = [dict(type='CoTrainingHook'), dict(RECORD)] + \
        [dict(HOOKS[h]) for h in selection_hooks] + list(extra)
    return build_runner(cfg)


@pytest.mark.parametrize('demo, hooks, error, message', [
    # UNICON reads a labelled set the GMM does not compute
    ('unicon', ['gmm'], ValueError, r"UNICON trains with \['labelled', 'trust'\] of each sample; "
     r"GMMConfidenceHook computes \['trust'\]: use UniconSelectionHook"),
    # DivideMix would ignore UNICON's labelled set (its labelled rows are trust > p)
    ('dividemix', ['unicon'], TypeError, r"UniconSelectionHook computes \['labelled'\] of each "
     r"sample, which DivideMix does not train with .*: use GMMConfidenceHook"),
    # VRLVMix's mixup pairs come from the VRLV selection only
    ('vrlvmix', ['unicon'], ValueError, r"VRLVMix trains with \['labelled', 'pair_labels', "
     r"'pairs', 'trust'\] .*UniconSelectionHook computes .*: use VRLVSelectionHook"),
    # UNICON would ignore VRLV's mixup pairs
    ('unicon', ['vrlv'], TypeError, r"VRLVSelectionHook computes \['pair_labels', 'pairs'\] .*"
     r"which UNICON does not train with"),
    ('dividemix', ['gmm', 'unicon'], ValueError, r'DivideMix takes one selection per epoch, but '
     r"custom_hooks has 2 selection hooks: \['GMMConfidenceHook', 'UniconSelectionHook'\]"),
    ('rolr', [], ValueError, r'RoLR trains with the GMM confidence of each sample: add '
     r"SampleRecordHook and GMMConfidenceHook\(begin_epoch='warmup'\)"),
    ('unicon', [], ValueError, r'UNICON trains with the selection of each sample: add '
     r'SampleRecordHook and UniconSelectionHook'),
])
def test_a_selection_the_learner_cannot_use_stops_the_run(tmp_path, demo, hooks, error,
                                                          message):
    runner = start(tmp_path, demo, hooks)
    with pytest.raises(error, match=message):
        runner.train()
    assert not list((tmp_path / 'work').glob('*.pth'))


def test_the_matching_selection_passes_the_start_up_checks(tmp_path):
    """The same checks let the published pairing through: VRLVMix with the VRLV selection
    trains, each network with the tables it reads."""
    runner = start(tmp_path, 'vrlvmix', ['vrlv'], epochs=2)
    runner.train()
    assert runner.epoch == 2
    model = runner.model
    assert model.fetch_samples is not None   # bound by CoTrainingHook
    for net in model.networks:
        assert model.selection(net).fields() >= model.consumes


def test_sample_weights_need_a_learner_that_takes_them(tmp_path):
    """HMW weights a NoisyClassifier's loss; a two-network learner takes no sample weights."""
    runner = start(tmp_path, 'rolr', ['gmm'], extra=[dict(type='HMWHook', net='net1')])
    with pytest.raises(TypeError, match='HMWHook weights the loss of a NoisyClassifier, not '
                                        'RoLR'):
        runner.train()


# ------------------------------------------------- every start-up check, from config text
def fails_at_start_up(tmp_path, base, text, message):
    """``base`` (a config under configs/) with ``text`` appended: building the runner or
    starting ``train()`` raises ``message`` (a regex); no checkpoint is written."""
    cfg = tmp_path / 'bad.py'
    cfg.write_text(f"_base_ = ['{ROOT}/{base}']\n" + text)
    config = load_config(str(cfg))
    config.work_dir = str(tmp_path / 'work')
    with pytest.raises((ValueError, TypeError, FileNotFoundError), match=message):
        build_runner(config).train()
    assert not list((tmp_path / 'work').glob('*.pth'))


CE = 'configs/demo/ce_smallcnn_digits_sym40.py'
CCL = 'configs/demo/ccl_smallcnn_digits_sym40.py'
VRLV = 'configs/demo/vrlvmix_smallcnn_digits_sym40.py'
VRLV_HOOKS = ("custom_hooks = [dict(type='CoTrainingHook'),\n"
              "  dict(type='SampleRecordHook', mode='pass', pipeline='test', begin_epoch=0,\n"
              "       signals=dict(loss={loss}, pred=3, feature=1)),\n"
              "  dict(type='VRLVSelectionHook', tau=2, begin_epoch='warmup')]\n")


@pytest.mark.parametrize('base, text, message', [
    # the per-sample record (SampleRecordHook) and the GMM reading it
    (CE, "custom_hooks = [dict(type='SampleRecordHook', signals=dict(loss=1)), "
     "dict(type='GMMConfidenceHook', signal='margin')]",
     "GMMConfidenceHook reads 'margin', which the record does not keep"),
    (CE, "custom_hooks = [dict(type='SampleRecordHook', signals=dict(loss=2)), "
     "dict(type='GMMConfidenceHook', average_last=5)]",
     "averages 5 epochs of 'loss' but the record keeps 2"),
    (CE, "custom_hooks = [dict(type='GMMConfidenceHook')]", 'needs a per-sample record'),
    (CE, "custom_hooks = [dict(type='SampleRecordHook', signals=dict(loss=1)), "
     "dict(type='SampleRecordHook', signals=dict(margin=1))]", 'only one SampleRecordHook'),
    (CE, "custom_hooks = [dict(type='SampleRecordHook', signals=dict(los=1))]",
     'unknown per-sample signals'),
    # CoTrainingHook
    (CCL, 'model = dict(warmup_epochs=5)\ntrain_cfg = dict(max_epochs=5)\n',
     r'warm-up \(5 epochs\) must be shorter than training'),
    (CCL, 'optim_wrapper = dict(_delete_=True, optimizer=dict(type="SGD", lr=0.1))\n',
     'one optimizer each, but optim_wrapper gives one'),
    (CCL, 'train_dataloader = dict(dataset=dict(dataset=dict('
     'pipeline=[dict(type="PackNoisyInputs")])))\n',
     'needs 2 views of each training sample but the training pipeline gives 1'),
    (CCL, 'custom_hooks = [dict(type="CoTrainingHook")]\n',
     'add SampleRecordHook and GMMConfidenceHook'),
    ('configs/demo/coteaching_smallcnn_digits_sym40.py',
     "train_dataloader = dict(batch_sampler=dict(type='CoTrainingBatchSampler'))\n",
     'CoTrainingBatchSampler draws labelled'),
    # VRLVSelectionHook: a record shorter than tau + 1 epochs; SCAN's neighbour file
    (VRLV, VRLV_HOOKS.format(loss=2), "needs 3 epochs of 'loss'"),
    (VRLV, "model = dict(scan=dict(neighbours='/nonexistent/none.npy'))\n",
     'SCAN neighbours file not found'),
])
def test_bad_configs_stop_before_training(tmp_path, base, text, message):
    fails_at_start_up(tmp_path, base, text, message)


def test_a_neighbour_file_of_another_dataset_is_refused(tmp_path):
    np.save(tmp_path / 'short.npy', np.zeros((5, 3), np.int32))
    fails_at_start_up(tmp_path, VRLV, f"model = dict(scan=dict(neighbours='{tmp_path}/short.npy'))\n",
                      r'has shape \(5, 3\); the training set has')
