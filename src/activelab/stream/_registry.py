"""Selector names → classes, shared by `run_stream`, `StreamLearner`, the runner and the CLI."""

from __future__ import annotations

import copy

from .._errors import InvalidInputError, UnknownNameError
from ._density import BalancedQuantileFilter, DensityUncertainty
from ._selectors import (
    FixedUncertainty,
    RandomizedVariableUncertainty,
    RandomSelector,
    Split,
    StreamSelector,
    VariableUncertainty,
)

_SELECTORS: dict[str, type[StreamSelector]] = {
    cls.name: cls
    for cls in (RandomSelector, FixedUncertainty, VariableUncertainty,
                RandomizedVariableUncertainty, Split, DensityUncertainty,
                BalancedQuantileFilter)
}


def stream_selector_names() -> list[str]:
    """Registered stream selector names, sorted."""
    return sorted(_SELECTORS)


def make_selector(name, budget: float = 0.1, **params) -> StreamSelector:
    """A new selector `name` with labeling rate `budget` and its own `params`, checked now.

    `name` may also be a `StreamSelector` (copied; then `budget` and `params` must match it or
    be left out).
    """
    if isinstance(name, StreamSelector):
        if params:
            raise InvalidInputError("pass selector parameters to the selector's constructor, "
                                    "not next to a selector instance.")
        sel = copy.deepcopy(name)
        sel.check_params()
        return sel
    if not isinstance(name, str) or name not in _SELECTORS:
        raise UnknownNameError("stream selector", str(name), _SELECTORS)
    cls = _SELECTORS[name]
    known = cls._param_names()
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise InvalidInputError(
            f"stream selector {name!r} has no parameter {', '.join(map(repr, unknown))}; "
            f"its parameters: {', '.join(known)}.")
    sel = cls(budget=budget, **params)
    sel.check_params()
    return sel
