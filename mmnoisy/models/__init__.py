from .backbones import *  # noqa: F401,F403
from .classifiers import *  # noqa: F401,F403
from .data_preprocessor import MultiViewDataPreprocessor  # noqa: F401
from .heads import *  # noqa: F401,F403
from .learners import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .plugins import *  # noqa: F401,F403
