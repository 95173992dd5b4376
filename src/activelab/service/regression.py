"""What a regression project changes: an answer is a *number* (a measurement, a rating, a yield),
kept in the label log's ``events.value`` column, optionally bounded by the project's range, and
the strategies and models it takes are those of `activelab.regression`.

    is_regression(task)              the project's task is "regression"
    strategy_names(), model_names()  activelab.regression's registries
    DEFAULT_STRATEGY, DEFAULT_MODEL  what `activelab init` records when none is given
    parse_range(text)                ``"0,100"`` → ``[0.0, 100.0]`` (a ProjectError otherwise)
    check_value(value, bounds)       the value as a float, or a LabelError (422) naming the fix

A regression event has ``value`` set and ``label``/``labels`` NULL. One annotator per item and a
label set of none: agreement and the review queue compare labels, not numbers, so a regression
project refuses ``annotations_per_item`` > 1, label additions and the review queue.
"""

from __future__ import annotations

import math

from .errors import LabelError

REGRESSION = "regression"
DEFAULT_STRATEGY = "igs"
"""iGS (Wu, Lin & Huang 2019): the best strategy measured with ridge on two of the three
datasets of docs/regression.md (chick_weights beyond 2·SE), and needs no ensemble."""
DEFAULT_MODEL = "ridge"
MAX_UNIT = 40


def is_regression(task: str) -> bool:
    return task == REGRESSION


def strategy_names() -> list[str]:
    from ..regression import regression_strategy_names

    return list(regression_strategy_names())


def model_names() -> list[str]:
    from ..regression import regressor_names

    return list(regressor_names())


def parse_range(text, error: type[Exception]) -> list[float] | None:
    """``"MIN,MAX"`` (finite numbers, MIN < MAX) → ``[MIN, MAX]``; None or "" → None."""
    if text is None or str(text).strip() == "":
        return None
    parts = [p.strip() for p in str(text).split(",")]
    try:
        low, high = (float(p) for p in parts) if len(parts) == 2 else (None, None)
    except ValueError:
        low = high = None
    if low is None or not (math.isfinite(low) and math.isfinite(high)) or not low < high:
        raise error(f"--range takes two finite numbers MIN,MAX with MIN < MAX (e.g. \"0,100\"); "
                    f"got {text!r}.")
    return [low, high]


def parse_unit(text, error: type[Exception]) -> str:
    """The unit shown beside the number (e.g. "kg"): printable, at most `MAX_UNIT` characters."""
    unit = "" if text is None else str(text).strip()
    if len(unit) > MAX_UNIT or any(ord(c) < 32 or ord(c) == 127 for c in unit):
        raise error(f"--unit must be printable text of at most {MAX_UNIT} characters; got "
                    f"{unit[:50]!r}.")
    return unit


def check_value(value, bounds: list[float] | None) -> float:
    """`value` as a float: finite, and within `bounds` (inclusive) when the project has them."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LabelError(f"value must be a number (e.g. 12.5); got {value!r}.", ("body", "value"))
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise LabelError("value must be a finite number: NaN and infinity are not answers "
                         "(skip the item if it cannot be measured).", ("body", "value"))
    if bounds is not None and not bounds[0] <= number <= bounds[1]:
        raise LabelError(f"value {number:g} is outside this project's range [{bounds[0]:g}, "
                         f"{bounds[1]:g}].", ("body", "value"))
    return number


def refuse_overlap(values: dict, error) -> None:
    """A regression project keeps one annotator per item (see the module docstring)."""
    k = values.get("annotations_per_item")
    if k is not None and k != 1:
        raise error("annotations_per_item must stay 1 on a regression project: agreement and the "
                    "review queue compare labels, not numbers, so each item is measured by one "
                    "annotator (an admin may relabel it).")
