"""Query strategies. Importing this package registers every built-in strategy."""

from ._base import Feedback, ScoreStrategy, Selection, Strategy, top_k
from ._context import PoolContext
from ._registry import describe_strategies, make_strategy, register, strategy_class, strategy_names
from . import committee, random, uncertainty  # noqa: F401  (registration)

__all__ = [
    "Feedback",
    "PoolContext",
    "ScoreStrategy",
    "Selection",
    "Strategy",
    "describe_strategies",
    "make_strategy",
    "register",
    "strategy_class",
    "strategy_names",
    "top_k",
]
