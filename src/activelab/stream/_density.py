"""Stream selectors that look beyond one item's uncertainty: local density (DBALStream) and
a quantile filter over recent utilities (BIQF)."""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from ._selectors import StreamSelector, _positive, margin_utility


class DensityUncertainty(StreamSelector):
    """DBALStream: randomized variable uncertainty on the margin, only for items in dense regions.

    Ienco, Žliobaitė, Pfahringer (2014), "High density-focused uncertainty sampling for active
    learning over evolving stream data", BigMine. The local density factor of an item is the
    number of the last `window_size` items whose nearest neighbour (within that window,
    Euclidean) it becomes; an item with factor 0 lies in a sparse region and is not queried.
    Dense items are queried when their margin p₁ − p₂ is below θ·η, η ~ N(1, δ), and θ adapts
    as in variable uncertainty (only on dense items; scikit-activeml also relaxes θ on sparse
    ones).
    """

    name = "density_uncertainty"

    def __init__(self, budget: float = 0.1, *, window_size: int = 100, theta: float = 1.0,
                 s: float = 0.01, delta: float = 1.0, budget_window: int | None = 100,
                 allowance: float = 1.0) -> None:
        super().__init__(budget, budget_window=budget_window, allowance=allowance)
        self.window_size = window_size
        self.theta = theta
        self.s = s
        self.delta = delta

    def check_params(self) -> None:
        super().check_params()
        _positive("window_size", self.window_size, integer=True)
        _positive("theta", self.theta)
        _positive("s", self.s, upper=1.0)
        _positive("delta", self.delta)

    def _start(self) -> None:
        self.theta_ = float(self.theta)
        self.window_: deque[np.ndarray] = deque(maxlen=int(self.window_size))
        self.nearest_: deque[float] = deque(maxlen=int(self.window_size))
        self.density_ = 0

    def _utility(self, proba: np.ndarray) -> float:
        return margin_utility(proba)

    def _observe(self, x: np.ndarray, utility: float) -> None:
        self.density_ = local_density_update(self.window_, self.nearest_, x)

    def _rule(self, utility: float) -> bool:
        if self.density_ == 0:
            return False
        eta = float(self.rng_.normal(1.0, self.delta))
        queried = 1.0 - utility < self.theta_ * eta
        self.theta_ *= (1.0 - self.s) if queried else (1.0 + self.s)
        return queried

    def state(self) -> dict:
        return {"threshold": self.theta_}


def local_density_update(window: deque, nearest: deque, x: np.ndarray) -> int:
    """Ienco et al.'s local density factor of `x`, updating the window in place.

    Returns how many items in `window` have `x` closer than their nearest neighbour so far
    (those neighbour distances are lowered to it); then `x` joins the window with its own
    nearest distance (inf for the first item).
    """
    if window:
        d = np.sqrt(((np.asarray(window) - x) ** 2).sum(axis=1))
        old = np.fromiter(nearest, dtype=float, count=len(nearest))
        closer = d < old
        for i in np.flatnonzero(closer):
            nearest[i] = float(d[i])
        factor = int(closer.sum())
        own = float(d.min())
    else:
        factor, own = 0, math.inf
    window.append(np.array(x, dtype=float))
    nearest.append(own)
    return factor


class BalancedQuantileFilter(StreamSelector):
    """Balanced Incremental Quantile Filter (BIQF) over least-confidence utilities.

    Kottke, Krempl, Spiliopoulou (2015), "Probabilistic active learning in datastreams", IDA.
    The threshold is the (1 − b)-quantile of the last `w` utilities (this item's included),
    lowered by range·(b·t − spent)/`w_tol` when labels are owed and raised when ahead, so the
    spending tracks b·t. (The paper filters probabilistic-gain utilities; here the utility is
    least confidence, the score the Žliobaitė selectors use.)
    """

    name = "biqf"

    def __init__(self, budget: float = 0.1, *, w: int = 100, w_tol: float = 50,
                 budget_window: int | None = 100, allowance: float = 1.0) -> None:
        super().__init__(budget, budget_window=budget_window, allowance=allowance)
        self.w = w
        self.w_tol = w_tol

    def check_params(self) -> None:
        super().check_params()
        _positive("w", self.w, integer=True)
        _positive("w_tol", self.w_tol)

    def _start(self) -> None:
        self.history_: deque[float] = deque(maxlen=int(self.w))
        self.threshold_ = math.nan

    def _observe(self, x: np.ndarray, utility: float) -> None:
        if not math.isnan(utility):
            self.history_.append(utility)

    def _rule(self, utility: float) -> bool:
        hist = np.fromiter(self.history_, dtype=float, count=len(self.history_))
        b = self.budget_.budget
        owed = b * (self.budget_.seen_ + 1) - self.budget_.spent_
        self.threshold_ = float(np.quantile(hist, 1.0 - b) - (hist.max() - hist.min()) * owed
                                / self.w_tol)
        return utility >= self.threshold_

    def state(self) -> dict:
        return {"threshold": self.threshold_}
