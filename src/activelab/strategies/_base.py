"""What a query strategy is: `select(context, batch_size, rng) -> Selection`.

Strategies follow scikit-learn's parameter conventions (``__init__`` only stores keyword
arguments, so ``get_params``, ``clone`` and ``repr`` work) and never train the user's model:
the loop fits it once per round and hands it over in the `PoolContext`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator

from .._errors import InvalidInputError
from ._context import PoolContext
from .params import Constraint, validate_params

FAMILIES = ("baseline", "exploitation", "exploration", "hybrid", "adaptive")
SCORE_REPORTING = ("always", "never", "sometimes")


@dataclass(frozen=True)
class Selection:
    """The outcome of one query.

    idx : ndarray of int, shape (batch_size,)
        Chosen row positions in the pool, most informative first.
    scores : ndarray of float, shape (n_candidates,) or None
        The score of every candidate (higher = more informative), aligned with `candidate_idx`.
    candidate_idx : ndarray of int or None
        The candidates that were scored.
    info : dict
        Strategy-specific facts about the choice (e.g. which arm an adaptive strategy used).
    """

    idx: np.ndarray
    scores: np.ndarray | None = None
    candidate_idx: np.ndarray | None = None
    info: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        """Short: the picks (up to 10) and the number of scores, never every score."""
        shown = ", ".join(str(int(i)) for i in self.idx[:10]) + (", …" if len(self.idx) > 10 else "")
        scores = "None" if self.scores is None else f"<{len(self.scores)} scores>"
        info = f", info={self.info!r}" if self.info and len(repr(self.info)) <= 120 else (
            f", info=<{len(self.info)} keys>" if self.info else "")
        return f"Selection(idx=[{shown}] ({len(self.idx)} rows), scores={scores}{info})"

    def chosen_scores(self) -> np.ndarray | None:
        """Scores of the chosen rows (aligned with `idx`), or None when the strategy has none."""
        if self.scores is None or self.candidate_idx is None:
            return None
        pos = np.searchsorted(self.candidate_idx, self.idx)
        return self.scores[pos]


class Strategy(BaseEstimator):
    """Base class of query strategies.

    Subclasses set the class attributes below and implement `select`.
    """

    name: ClassVar[str] = ""
    family: ClassVar[str] = ""
    reference: ClassVar[str] = ""
    needs_model: ClassVar[bool] = True
    needs_factory: ClassVar[bool] = False
    #: Whether `Selection.scores` is filled: "always", "never" (e.g. random sampling), or
    #: "sometimes" (e.g. an adaptive strategy whose batch mixes arms); the conformance kit holds
    #: every strategy to what it declares.
    reports_scores: ClassVar[str] = "always"

    #: Per constructor parameter, the constraints a value may meet (see `activelab.strategies.params`); checked
    #: when the strategy runs, so `__init__` only stores its arguments.
    _parameter_constraints: ClassVar[dict[str, list[Constraint]]] = {}

    def _validate_params(self) -> None:
        """Raise a clear input error for a parameter outside its declared constraints."""
        validate_params(self.name or type(self).__name__, self.get_params(deep=False),
                        self._parameter_constraints)

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        raise NotImplementedError

    def update(self, feedback: "Feedback") -> None:
        """Learn from the outcome of the previous selection (adaptive strategies only)."""


@dataclass(frozen=True)
class Feedback:
    """What the loop tells a strategy after labels arrived for its batch and the model refitted.

    selection : the Selection the strategy made
    labels : ndarray of shape (batch_size,)
        The labels of `selection.idx` now (the unlabeled marker where none arrived yet).
    ctx_after : the PoolContext of the next round (model refitted with the new labels)
    known : ndarray of bool, shape (batch_size,), or None
        Which picks have a label; None means all of them (a simulated oracle answers every
        pick, an annotator may label only part of the queue before the next retrain).
    """

    selection: Selection
    labels: np.ndarray
    ctx_after: PoolContext
    known: np.ndarray | None = None

    def known_mask(self) -> np.ndarray:
        """`known` as a boolean array aligned with `selection.idx`."""
        n = np.asarray(self.selection.idx).shape[0]
        if self.known is None:
            return np.ones(n, dtype=bool)
        return np.asarray(self.known, dtype=bool)


class ScoreStrategy(Strategy):
    """A strategy that scores every candidate and takes the top `batch_size` (ties at random)."""

    def scores(self, ctx: PoolContext) -> np.ndarray:
        raise NotImplementedError

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        self._validate_params()
        scores = np.asarray(self.scores(ctx), dtype=np.float64)
        cand = ctx.candidate_idx
        if scores.shape != cand.shape:
            raise InvalidInputError(
                f"{self.name}: got {scores.shape[0]} scores for {cand.shape[0]} candidates."
            )
        pos = top_k(scores, batch_size, rng)
        return Selection(idx=cand[pos], scores=scores, candidate_idx=cand)


def _check_no_nan(scores: np.ndarray) -> None:
    if np.isnan(scores).any():
        raise InvalidInputError(
            "scores contain NaN; the model produced invalid probabilities for some candidates."
        )


def top_k(scores: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of the k highest scores, highest first; ties at the cut broken at random.

    O(n) via argpartition: only the ties at the k-th value are resolved with `rng`.
    """
    n = scores.shape[0]
    if k >= n:
        _check_no_nan(scores)
        order = rng.permutation(n)
        return order[np.argsort(-scores[order], kind="stable")]
    # NumPy orders NaN above every number, so a NaN anywhere lands among the top k
    part = np.argpartition(scores, n - k)[n - k:]
    top = scores[part]
    _check_no_nan(top)
    return top_k_at(scores, top.min(), k, rng)


def top_k_at(scores: np.ndarray, threshold: float, k: int, rng: np.random.Generator) -> np.ndarray:
    """`top_k`'s answer once its k-th highest score `threshold` is known (k < len(scores)).

    Rows above the threshold sorted highest first (stable), then the k − #above ties drawn with
    `rng` in increasing position. Its only input from the whole array is the rows at or above
    the threshold, so it gives the same picks and draws on any subset that holds them all
    (positions mapped back in order), which the float32 paths of margin and entropy rely on.
    """
    above = np.flatnonzero(scores > threshold)
    ties = np.flatnonzero(scores == threshold)
    chosen_ties = rng.choice(ties, size=k - above.shape[0], replace=False)
    above = above[np.argsort(-scores[above], kind="stable")]
    return np.concatenate([above, np.sort(chosen_ties)]).astype(np.intp)
