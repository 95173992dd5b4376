"""The labeling-rate budget every stream selector answers to.

A budget b ∈ (0, 1] is a *rate*: the fraction of the items seen whose label may be bought.
`BudgetManager` enforces it with two checks before each item (t = items seen, this one included):

1. **Hard cap** (the guarantee): a label may be bought only if ``spent + 1 <= b·t + allowance``.
   Hence, at every t ≥ 1 (n₀ = 0: no warm-up exemption), ``spent(t) <= b·t + allowance``
   (the default allowance c = 1: never more than one label ahead of the exact rate).
2. **Windowed estimate** (Žliobaitė et al. 2014, §IV): ``û ← û·(w−1)/w + queried``; a label may
   be bought only while ``û / w < b``. It spreads labels over time, so budget saved while the
   model was confident is not spent in one burst. ``window=None`` turns this check off.

When either check fails the item is not queried, whatever the selector would have chosen; the
selector's adaptive state (e.g. a variable threshold) is left as it was, as in the paper's
framework where the strategy only runs while budget remains.
"""

from __future__ import annotations

import math
import numbers

from .._errors import ActiveLabError, InvalidInputError


def check_budget(budget) -> float:
    """`budget` as a float in (0, 1], else a clear error."""
    if isinstance(budget, bool) or not isinstance(budget, numbers.Real) or not (
        0 < float(budget) <= 1
    ):
        raise InvalidInputError(
            f"budget must be a labeling rate in (0, 1] (the fraction of items whose label may "
            f"be bought, e.g. 0.1); got {budget!r}."
        )
    return float(budget)


class BudgetManager:
    """Counts items seen and labels spent; says whether the next item may be queried.

    Parameters
    ----------
    budget : float in (0, 1], the labeling rate b.
    window : int ≥ 1 or None, default 100
        w of the windowed spending estimate (None: the hard cap only).
    allowance : float ≥ 0, default 1.0
        c of the guarantee ``spent(t) <= b·t + c``.
    """

    def __init__(self, budget: float, *, window: int | None = 100, allowance: float = 1.0) -> None:
        self.budget = check_budget(budget)
        if window is not None and (
            isinstance(window, bool) or not isinstance(window, numbers.Integral) or window < 1
        ):
            raise InvalidInputError(f"budget_window must be an integer ≥ 1 or None; got {window!r}.")
        if isinstance(allowance, bool) or not isinstance(allowance, numbers.Real) or not (
            0 <= allowance < math.inf
        ):
            raise InvalidInputError(f"allowance must be a finite number ≥ 0; got {allowance!r}.")
        self.window = None if window is None else int(window)
        self.allowance = float(allowance)
        self.seen_ = 0
        self.spent_ = 0
        self.estimate_ = 0.0

    def ceiling(self, t: int) -> float:
        """The most labels that may have been spent after t items: b·t + allowance."""
        return self.budget * t + self.allowance

    def available(self) -> bool:
        """Whether the next item (the (seen_ + 1)-th) may be queried."""
        if self.spent_ + 1 > self.ceiling(self.seen_ + 1):
            return False
        return self.window is None or self.estimate_ / self.window < self.budget

    def record(self, queried: bool) -> None:
        """Count one item seen (and its label bought if `queried`)."""
        if queried and not self.available():
            raise ActiveLabError("a label was bought while the budget was exhausted (a selector bug).")
        self.seen_ += 1
        self.spent_ += int(queried)
        if self.window is not None:
            self.estimate_ = self.estimate_ * ((self.window - 1) / self.window) + float(queried)

    def __repr__(self) -> str:
        return (f"BudgetManager(budget={self.budget}, window={self.window}, "
                f"allowance={self.allowance})")
