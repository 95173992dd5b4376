"""Query strategies. Importing this package registers every built-in strategy: each public
module (no leading underscore) in this folder is imported, and its `@register` classes join the
registry."""

import importlib as _importlib
import pkgutil as _pkgutil

from ._base import FAMILIES, SCORE_REPORTING, Feedback, ScoreStrategy, Selection, Strategy, top_k
from ._context import PoolContext
from ._registry import describe_strategies, make_strategy, register, strategy_class, strategy_names

for _mod in sorted(m.name for m in _pkgutil.iter_modules(__path__)):
    if not _mod.startswith("_"):
        _importlib.import_module(f"{__name__}.{_mod}")

__all__ = [
    "FAMILIES",
    "SCORE_REPORTING",
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
