from .ccl import CCL
from .co_training import CoTrainingLearner
from .coteaching import CoTeaching
from .dividemix import DivideMix
from .rolr import RoLR

__all__ = ['CoTrainingLearner', 'CoTeaching', 'DivideMix', 'RoLR', 'CCL']
