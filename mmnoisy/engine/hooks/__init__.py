from .noisy_label_hook import NoisyLabelHook, check_num_classes

__all__ = ['NoisyLabelHook', 'check_num_classes']
