"""Names → strategy classes. `register` is a class decorator; `make_strategy` resolves a name or
passes a strategy object through."""

from __future__ import annotations

from dataclasses import dataclass

from .._errors import InvalidInputError, UnknownNameError
from ._base import FAMILIES, SCORE_REPORTING, Strategy

_REGISTRY: dict[str, type[Strategy]] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    """Add a Strategy subclass to the registry under `cls.name`."""
    if not cls.name or cls.family not in FAMILIES or not cls.reference:
        raise TypeError(f"{cls.__name__} must set name, family (one of {FAMILIES}) and reference")
    if cls.reports_scores not in SCORE_REPORTING:
        raise TypeError(f"{cls.__name__}.reports_scores must be one of {SCORE_REPORTING}")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise TypeError(f"strategy name {cls.name!r} is already registered")
    _REGISTRY[cls.name] = cls
    return cls


def strategy_names() -> list[str]:
    """Registered names, sorted."""
    return sorted(_REGISTRY)


def strategy_class(name: str) -> type[Strategy]:
    """The class registered under `name` (UnknownNameError with close matches otherwise)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError("strategy", name, _REGISTRY) from None


def make_strategy(strategy, **params) -> Strategy:
    """A Strategy from a registered name (with params) or a Strategy instance (params set on a clone)."""
    if isinstance(strategy, Strategy):
        if params:
            from sklearn.base import clone

            strategy = clone(strategy).set_params(**params)
        return strategy
    if not isinstance(strategy, str):
        raise InvalidInputError(
            f"strategy must be a registered name or a Strategy; got {type(strategy).__name__}."
        )
    cls = strategy_class(strategy)
    try:
        return cls(**params)
    except TypeError:
        import inspect

        allowed = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
        raise InvalidInputError(
            f"strategy {strategy!r} does not take parameters {sorted(params)}; "
            f"it takes {allowed or 'none'}."
        ) from None


@dataclass(frozen=True)
class StrategyInfo:
    name: str
    family: str
    reference: str
    summary: str


def describe_strategies() -> list[StrategyInfo]:
    """One line of facts per registered strategy, for `activelab strategies`."""
    out = []
    for name in strategy_names():
        cls = _REGISTRY[name]
        doc = (cls.__doc__ or "").strip().splitlines()
        out.append(StrategyInfo(name, cls.family, cls.reference, doc[0] if doc else ""))
    return out
