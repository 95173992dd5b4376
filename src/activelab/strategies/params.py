"""Declarative parameter checks for strategies, like scikit-learn's `_parameter_constraints`.

A strategy lists, per constructor parameter, the constraints a value may meet (any one
suffices); `validate_params` checks them when the strategy runs, not in `__init__` (so `clone`
and `set_params` keep working) and raises an error that names the parameter, what it must be
and what it got.

    _parameter_constraints = {"n_members": [Interval("int", 2)], "loss": [Options(LOSSES)]}
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .._errors import InvalidInputError, UnknownNameError


@dataclass(frozen=True)
class Interval:
    """A finite int (`kind="int"`) or real number (`kind="real"`) between `low` and `high`
    (None: unbounded); `closed` says which ends belong: "both", "left", "right", "neither"."""

    kind: str
    low: float | None = None
    high: float | None = None
    closed: str = "both"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind == "int" and not isinstance(value, numbers.Integral):
            return False
        if not isinstance(value, numbers.Real) or not math.isfinite(value):
            return False
        if self.low is not None and (value < self.low or (value == self.low and self.closed in ("right", "neither"))):
            return False
        if self.high is not None and (value > self.high or (value == self.high and self.closed in ("left", "neither"))):
            return False
        return True

    def describe(self) -> str:
        noun = "an integer" if self.kind == "int" else "a finite number"
        lo_in = self.closed in ("both", "left")
        hi_in = self.closed in ("both", "right")
        if self.low is not None and self.high is not None:
            return f"{noun} in {'[' if lo_in else '('}{self.low:g}, {self.high:g}{']' if hi_in else ')'}"
        if self.low is not None:
            if self.low == 0 and not lo_in:
                return "a positive integer" if self.kind == "int" else "a positive finite number"
            return f"{noun} {'>=' if lo_in else '>'} {self.low:g}"
        if self.high is not None:
            return f"{noun} {'<=' if hi_in else '<'} {self.high:g}"
        return noun


@dataclass(frozen=True)
class Options:
    """One of a fixed set of names; an unknown string is an `UnknownNameError` with close
    matches (`what` names the kind of thing, e.g. "loss")."""

    values: tuple
    what: str = "option"

    def __init__(self, values: Iterable, what: str = "option") -> None:
        object.__setattr__(self, "values", tuple(values))
        object.__setattr__(self, "what", what)

    def accepts(self, value: Any) -> bool:
        try:
            return value in self.values
        except TypeError:
            return False

    def describe(self) -> str:
        return " or ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class Predicate:
    """Any other rule: `test(value)` and the phrase that describes an accepted value."""

    test: Callable[[Any], bool]
    description: str

    def accepts(self, value: Any) -> bool:
        try:
            return bool(self.test(value))
        except (TypeError, ValueError):
            return False

    def describe(self) -> str:
        return self.description


Constraint = Interval | Options | Predicate | None  # None: the value None is accepted


def _accepts(constraint: Constraint, value: Any) -> bool:
    return value is None if constraint is None else constraint.accepts(value)


def _describe(constraint: Constraint) -> str:
    return "None" if constraint is None else constraint.describe()


def _closest_first(constraints: list[Constraint], value: Any) -> list[Constraint]:
    """Constraints of the value's own kind first, so a bad number reads "must be a positive
    number or 'auto'" and a bad name "must be 'auto' or a positive number"."""
    def rank(c: Constraint) -> int:
        if c is None:
            return 2
        if isinstance(value, str):
            return 0 if isinstance(c, Options) else 1
        return 0 if isinstance(c, Interval) else 1
    return sorted(constraints, key=rank)


def validate_params(owner: str, params: dict[str, Any],
                    constraints: dict[str, list[Constraint]]) -> None:
    """Raise unless every parameter with constraints meets one of them.

    An unknown name for a parameter that is purely a choice of names (one `Options`) raises
    `UnknownNameError` (a LookupError with close matches); anything else `InvalidInputError`.
    """
    for param, allowed in constraints.items():
        value = params[param]
        if any(_accepts(c, value) for c in allowed):
            continue
        options = [c for c in allowed if isinstance(c, Options)]
        if isinstance(value, str) and len(options) == 1 == len(allowed):  # purely a name
            raise UnknownNameError(options[0].what, value, [str(v) for v in options[0].values])
        wanted = " or ".join(_describe(c) for c in _closest_first(list(allowed), value))
        raise InvalidInputError(f"{owner}: {param} must be {wanted}; got {value!r}.")
