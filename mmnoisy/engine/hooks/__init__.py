from .noisy_label_hook import NoisyLabelHook, check_num_classes
from .resume_val_hook import ResumeValHook

__all__ = ['NoisyLabelHook', 'ResumeValHook', 'check_num_classes']
