"""The base of both committee families (query by committee, and BALD / variation ratios):
a committee of models trained through the model seam, whose disagreement is the score."""

from __future__ import annotations

import numpy as np

from ._base import ScoreStrategy
from ._context import PoolContext
from .params import Interval, Predicate


def _is_model_list(value) -> bool:
    return not isinstance(value, (str, bytes)) and hasattr(value, "__len__") and len(value) >= 2


class CommitteeStrategy(ScoreStrategy):
    """Scores candidates from a committee's probabilities, shape (n_members, n_candidates, n_classes).

    Parameters
    ----------
    n_members : int, default 5
        Size of the bootstrap committee of the user's model (used when `estimators` is None).
    estimators : list of models or None, default None
        An explicit ensemble instead (unfitted classifiers or model factories), each fitted on
        all labeled rows.
    """

    needs_factory = True
    _parameter_constraints = {
        "n_members": [Interval("int", 2)],
        "estimators": [None, Predicate(_is_model_list, "a list of at least two classifiers")],
    }

    def __init__(self, n_members: int = 5, estimators=None) -> None:
        self.n_members = n_members
        self.estimators = estimators

    def _committee(self, ctx: PoolContext) -> np.ndarray:
        ctx.require_model(self.name)
        if self.estimators is None:
            return ctx.committee_proba(int(self.n_members), self.name)
        return ctx.ensemble_proba(list(self.estimators), self.name)
