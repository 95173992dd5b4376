"""Deep models for activelab (extra `torch`; `import activelab` never imports this package).

    >>> from activelab.torch import TorchClassifier
    >>> idx = activelab.query(X, y, strategy="bald", model=TorchClassifier("cnn", random_state=0))
"""

from .classifier import TorchClassifier
from .networks import MLP, ConvEncoder, SmallCNN
from .regressor import TorchRegressor

__all__ = ["ConvEncoder", "MLP", "SmallCNN", "TorchClassifier", "TorchRegressor"]
