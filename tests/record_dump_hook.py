"""Test helper: every rank writes its own copy of the per-sample record after training."""
import os.path as osp

import numpy as np
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmnoisy.engine.utils import unwrap
from mmnoisy.registry import HOOKS


@HOOKS.register_module()
class DumpRecordPerRank(Hook):
    priority = 'LOWEST'

    def after_train(self, runner):
        record = unwrap(runner.model).sample_record
        arrays = {f'{n}/{s}': record.get(n, s, len(record.recorded_epochs(n, s)))
                  for n in record.nets for s in record.signals}
        np.savez(osp.join(runner.work_dir, f'record_rank{get_rank()}.npz'), **arrays)
