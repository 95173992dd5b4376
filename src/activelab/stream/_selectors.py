"""Stream selectors: one item at a time, query its label or not, under a labeling rate.

A selector is *score × rule*: a utility from the model's class probabilities for the item
(least confidence 1 − max p here, margin for the density rule) and a decision rule with a
little adaptive state (a threshold, a window). Every decision passes through the selector's
`BudgetManager` (see `_budget`), so no rule can overspend.

Cold start: until the model has seen labels of two classes the learner passes ``proba=None``;
rules that need probabilities then query every item the budget allows (their adaptive state
is not touched), which buys the first labels as early as the rate permits. `random` ignores
probabilities and flips its coin throughout.
"""

from __future__ import annotations

import inspect
import math
import numbers
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._errors import InvalidInputError
from ._budget import BudgetManager, check_budget


@dataclass(frozen=True)
class Decision:
    """What a selector decided for one item.

    queried : whether the item's label is bought.
    utility : the item's score (higher = more informative); NaN without probabilities.
    reason : "rule" (the selector's rule decided), "cold_start" (no usable model yet: query
        while the budget allows) or "budget" (the budget manager refused).
    """

    queried: bool
    utility: float
    reason: str


def least_confidence(proba: np.ndarray) -> float:
    """1 − max_c p(c | x): 0 for a certain prediction, 1 − 1/C at most."""
    return 1.0 - float(np.max(proba))


def margin_utility(proba: np.ndarray) -> float:
    """1 − (p₁ − p₂), the two largest class probabilities: 1 on the decision boundary."""
    top2 = np.partition(np.asarray(proba, dtype=float), -2)[-2:]
    return 1.0 - float(top2[1] - top2[0])


def _positive(name: str, value, *, upper: float | None = None, integer: bool = False) -> None:
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind) or not (
        0 < value < math.inf and (upper is None or value <= upper)
    ):
        bound = f" and ≤ {upper}" if upper is not None else ""
        what = "an integer" if integer else "a number"
        raise InvalidInputError(f"{name} must be {what} > 0{bound}; got {value!r}.")


class StreamSelector:
    """Base class: holds the parameters; `reset` creates the state; `decide` runs one item.

    Parameters
    ----------
    budget : float in (0, 1], the labeling rate.
    budget_window : int or None, default 100 — the windowed spending estimate's w.
    allowance : float ≥ 0, default 1.0 — c in the guarantee ``spent(t) <= budget·t + c``.
    """

    name: ClassVar[str] = ""
    uses_proba: ClassVar[bool] = True

    def __init__(self, budget: float = 0.1, *, budget_window: int | None = 100,
                 allowance: float = 1.0) -> None:
        self.budget = budget
        self.budget_window = budget_window
        self.allowance = allowance

    # -- parameters ------------------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        names: list[str] = []
        for klass in cls.__mro__:
            if "__init__" in vars(klass):
                for p in inspect.signature(klass.__init__).parameters.values():
                    if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) \
                            and p.name not in names:
                        names.append(p.name)
        return names

    def get_params(self) -> dict:
        """The constructor's parameters (scikit-learn style)."""
        return {k: getattr(self, k) for k in self._param_names()}

    def check_params(self) -> None:
        """Raise InvalidInputError for a parameter that cannot work."""
        check_budget(self.budget)
        BudgetManager(self.budget, window=self.budget_window, allowance=self.allowance)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- running ---------------------------------------------------------------------------
    def reset(self, n_classes: int, random_state=None) -> StreamSelector:
        """Fresh state for a stream with `n_classes` classes; randomness from `random_state`."""
        self.check_params()
        self.budget_ = BudgetManager(self.budget, window=self.budget_window,
                                     allowance=self.allowance)
        self.rng_ = np.random.default_rng(random_state)
        self.n_classes_ = int(n_classes)
        self._start()
        return self

    def decide(self, x: np.ndarray, proba: np.ndarray | None) -> Decision:
        """Decide for one item (features `x`, class probabilities `proba` or None at cold start)."""
        if proba is not None and not np.isfinite(proba).all():
            raise InvalidInputError(
                f"class probabilities must be finite; got {np.asarray(proba).tolist()!r:.120}.")
        utility = math.nan if proba is None else self._utility(proba)
        self._observe(x, utility)
        if not self.budget_.available():
            self.budget_.record(False)
            return Decision(False, utility, "budget")
        if proba is None and self.uses_proba:
            self.budget_.record(True)
            return Decision(True, utility, "cold_start")
        queried = bool(self._rule(utility))
        self.budget_.record(queried)
        return Decision(queried, utility, "rule")

    def state(self) -> dict:
        """The adaptive state worth recording at a checkpoint (JSON-ready)."""
        return {}

    # -- hooks -----------------------------------------------------------------------------
    def _start(self) -> None:
        """Create the rule's own state (after `budget_`, `rng_`, `n_classes_` exist)."""

    def _observe(self, x: np.ndarray, utility: float) -> None:
        """See every item, queried or not, before the budget check (windows, histories)."""

    def _utility(self, proba: np.ndarray) -> float:
        return least_confidence(proba)

    def _rule(self, utility: float) -> bool:
        raise NotImplementedError


class RandomSelector(StreamSelector):
    """Flip a coin with probability `budget` per item; a head the budget manager refuses is
    owed and bought at the next item it allows (so the rate is spent, not lost to the cap).

    The baseline: labels unrelated to the model. Its budget window defaults to None (the hard
    cap only): the coin has no bursts for a window to spread, and a window check would leave
    random with fewer labels than the rules it is compared with (about 0.85·b·n instead of
    0.96·b·n on 1,250 items at b = 0.1).
    """

    name = "random"
    uses_proba = False

    def __init__(self, budget: float = 0.1, *, budget_window: int | None = None,
                 allowance: float = 1.0) -> None:
        super().__init__(budget, budget_window=budget_window, allowance=allowance)

    def _start(self) -> None:
        self.owed_ = 0

    def _observe(self, x: np.ndarray, utility: float) -> None:
        self.owed_ += int(self.rng_.random() < self.budget_.budget)

    def _rule(self, utility: float) -> bool:
        if self.owed_ > 0:
            self.owed_ -= 1
            return True
        return False

    def state(self) -> dict:
        return {"owed": self.owed_}


class FixedUncertainty(StreamSelector):
    """Query when the top class probability is at most a fixed threshold θ.

    Žliobaitė et al. (2014), Algorithm "Fixed uncertainty". θ defaults to
    1/C + b·(1 − 1/C) (C classes, b the budget), as in scikit-activeml.
    """

    name = "fixed_uncertainty"

    def __init__(self, budget: float = 0.1, *, threshold: float | None = None,
                 budget_window: int | None = 100, allowance: float = 1.0) -> None:
        super().__init__(budget, budget_window=budget_window, allowance=allowance)
        self.threshold = threshold

    def check_params(self) -> None:
        super().check_params()
        if self.threshold is not None:
            _positive("threshold", self.threshold, upper=1.0)

    def _start(self) -> None:
        c = self.n_classes_
        self.theta_ = (float(self.threshold) if self.threshold is not None
                       else 1.0 / c + float(self.budget) * (1.0 - 1.0 / c))

    def _rule(self, utility: float) -> bool:
        return 1.0 - utility <= self.theta_

    def state(self) -> dict:
        return {"threshold": self.theta_}


class VariableUncertainty(StreamSelector):
    """Query when the top class probability is below a threshold θ that adapts: θ ← θ(1 − s)
    after a query, θ ← θ(1 + s) otherwise — labels follow the budget whatever the model's
    confidence. Žliobaitė et al. (2014), Algorithm "Variable uncertainty"; θ₀ = 1, s = 0.01."""

    name = "variable_uncertainty"

    def __init__(self, budget: float = 0.1, *, theta: float = 1.0, s: float = 0.01,
                 budget_window: int | None = 100, allowance: float = 1.0) -> None:
        super().__init__(budget, budget_window=budget_window, allowance=allowance)
        self.theta = theta
        self.s = s

    def check_params(self) -> None:
        super().check_params()
        _positive("theta", self.theta)
        _positive("s", self.s, upper=1.0)

    def _start(self) -> None:
        self.theta_ = float(self.theta)

    def _threshold(self) -> float:
        return self.theta_

    def _rule(self, utility: float) -> bool:
        queried = 1.0 - utility < self._threshold()
        self.theta_ *= (1.0 - self.s) if queried else (1.0 + self.s)
        return queried

    def state(self) -> dict:
        return {"threshold": self.theta_}


class RandomizedVariableUncertainty(VariableUncertainty):
    """Variable uncertainty against a randomized threshold θ·η, η ~ N(1, σ): items the model
    is sure of still get a chance, so drift far from the boundary is noticed.
    Žliobaitė et al. (2014), "Uncertainty strategy with randomization"; σ = 1 (`delta`)."""

    name = "randomized_variable_uncertainty"

    def __init__(self, budget: float = 0.1, *, theta: float = 1.0, s: float = 0.01,
                 delta: float = 1.0, budget_window: int | None = 100,
                 allowance: float = 1.0) -> None:
        super().__init__(budget, theta=theta, s=s, budget_window=budget_window,
                         allowance=allowance)
        self.delta = delta

    def check_params(self) -> None:
        super().check_params()
        _positive("delta", self.delta)

    def _threshold(self) -> float:
        return self.theta_ * float(self.rng_.normal(1.0, self.delta))


class Split(VariableUncertainty):
    """With probability v the item goes to the random strategy (query with probability b),
    otherwise to variable uncertainty (whose threshold adapts only on its own items): a share
    of the labels is unbiased by the model. Žliobaitė et al. (2014), "Split strategy";
    v = 0.1 as scikit-activeml's default."""

    name = "split"

    def __init__(self, budget: float = 0.1, *, v: float = 0.1, theta: float = 1.0,
                 s: float = 0.01, budget_window: int | None = 100,
                 allowance: float = 1.0) -> None:
        super().__init__(budget, theta=theta, s=s, budget_window=budget_window,
                         allowance=allowance)
        self.v = v

    def check_params(self) -> None:
        super().check_params()
        if isinstance(self.v, bool) or not isinstance(self.v, numbers.Real) or not 0 < self.v < 1:
            raise InvalidInputError(f"v (the random share) must be in (0, 1); got {self.v!r}.")

    def _start(self) -> None:
        super()._start()
        self.n_random_ = 0

    def _rule(self, utility: float) -> bool:
        if self.rng_.random() < self.v:
            queried = bool(self.rng_.random() < self.budget_.budget)
            self.n_random_ += int(queried)
            return queried
        return super()._rule(utility)

    def state(self) -> dict:
        return {"threshold": self.theta_, "random_labels": self.n_random_}
