"""Noisy-label detection: pure functions from the per-sample record to per-sample flags."""
from .baselines import (aum_detect, avg_encoder_detect, confident_learning_detect, gmm_detect,
                        iam_detect, small_loss_detect)
from .dynacor import (DynaCorResult, DynamicsEncoder, alignment_loss, clustering_loss,
                      cluster_distance, fit_dynacor, quantised_dynamics, soft_assignment,
                      target_distribution, validation_metric)
from .detectors import DETECTORS, Detector, check_methods, required_signals, run_detectors
from .files import DetectionInputs, format_metrics, write_results
from .metrics import describe_flags, detection_metrics

__all__ = [
    'aum_detect', 'avg_encoder_detect', 'confident_learning_detect', 'gmm_detect', 'iam_detect',
    'small_loss_detect', 'DynaCorResult', 'DynamicsEncoder', 'alignment_loss',
    'clustering_loss', 'cluster_distance', 'fit_dynacor', 'quantised_dynamics',
    'soft_assignment', 'target_distribution', 'validation_metric', 'describe_flags',
    'detection_metrics', 'DETECTORS', 'Detector', 'check_methods', 'required_signals',
    'run_detectors', 'DetectionInputs', 'format_metrics', 'write_results'
]
