from .ccl import CCL
from .co_training import CoTrainingLearner
from .coteaching import CoTeaching
from .dividemix import DivideMix
from .rolr import RoLR
from .unicon import UNICON
from .vrlvmix import VRLVMix

__all__ = ['CoTrainingLearner', 'CoTeaching', 'DivideMix', 'RoLR', 'CCL', 'UNICON', 'VRLVMix']
