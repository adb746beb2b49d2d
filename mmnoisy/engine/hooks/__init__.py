from .co_training_hook import CoTrainingHook
from .detection_hook import NoisyLabelDetectionHook
from .dynacor_selection_hook import DynaCorSelectionHook
from .exact_resume_hook import ExactResumeHook
from .gmm_confidence_hook import GMMConfidenceHook
from .hmw_hook import HMWHook
from .noisy_label_hook import NoisyLabelHook, check_num_classes
from .resume_val_hook import ResumeValHook
from .run_summary_hook import RunSummaryHook, read_results
from .sample_record_hook import SampleRecordHook
from .unicon_selection_hook import UniconSelectionHook
from .selection_hook import SelectionHook
from .vrlv_selection_hook import VRLVSelectionHook

__all__ = [
    'CoTrainingHook', 'DynaCorSelectionHook', 'ExactResumeHook', 'GMMConfidenceHook',
    'NoisyLabelDetectionHook', 'HMWHook',
    'NoisyLabelHook', 'ResumeValHook', 'RunSummaryHook', 'read_results', 'SampleRecordHook',
    'SelectionHook', 'UniconSelectionHook', 'VRLVSelectionHook', 'check_num_classes'
]
