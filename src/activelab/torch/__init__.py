"""Deep models for activelab (extra `torch`; `import activelab` never imports this package)."""

from .networks import MLP, ConvEncoder, SmallCNN

__all__ = ["ConvEncoder", "MLP", "SmallCNN"]
