"""activelab: pool-based active learning — query strategies, a simulated loop, an experiment runner.

    >>> import activelab
    >>> idx = activelab.query(X, y, strategy="margin", batch_size=10, random_state=0)
"""

from ._errors import (
    ActiveLabError,
    ActiveLabWarning,
    BatchSizeError,
    ColdStartError,
    InvalidInputError,
    UnknownNameError,
)
from ._labels import UNLABELED, labeled_mask
from ._query import propose, query
from .loop import ActiveLoop, build_context
from ._simulate import SimulationResult, simulate
from .embeddings import embed
from .strategies import (
    PoolContext,
    ScoreStrategy,
    Selection,
    Strategy,
    describe_strategies,
    make_strategy,
    register,
    strategy_names,
)

__version__ = "0.1.0"

__all__ = [
    "ActiveLabError",
    "ActiveLoop",
    "ActiveLabWarning",
    "BatchSizeError",
    "ColdStartError",
    "InvalidInputError",
    "PoolContext",
    "ScoreStrategy",
    "Selection",
    "SimulationResult",
    "Strategy",
    "UNLABELED",
    "UnknownNameError",
    "__version__",
    "build_context",
    "describe_strategies",
    "embed",
    "labeled_mask",
    "make_strategy",
    "propose",
    "query",
    "register",
    "simulate",
    "strategy_names",
]
