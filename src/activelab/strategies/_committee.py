"""The base of both committee families (query by committee, and BALD / variation ratios):
a committee of models trained through the model seam, whose disagreement is the score."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ._base import ScoreStrategy, Selection
from ._context import PoolContext
from .params import Interval, Predicate


def _is_model_list(value) -> bool:
    return not isinstance(value, (str, bytes)) and hasattr(value, "__len__") and len(value) >= 2


class CommitteeStrategy(ScoreStrategy):
    """Scores candidates from a committee's probabilities, shape (n_members, n_candidates, n_classes).

    Parameters
    ----------
    n_members : int, default 5
        Size of the bootstrap committee of the user's model (used when `estimators` is None
        and the model has no posterior samples).
    estimators : list of models or None, default None
        An explicit ensemble instead (unfitted classifiers or model factories), each fitted on
        all labeled rows.
    mc_samples : int, default 20
        Stochastic passes when the fitted model samples its own posterior (MC dropout in a
        `TorchClassifier`, Gal et al. 2017), which is then used instead of a bootstrap.

    `Selection.info["posterior"]` says which committee scored the batch: "mc_dropout" (the
    model's posterior samples), "bootstrap" or "ensemble".
    """

    needs_factory = True
    _parameter_constraints = {
        "n_members": [Interval("int", 2)],
        "estimators": [None, Predicate(_is_model_list, "a list of at least two classifiers")],
        "mc_samples": [Interval("int", 2)],
    }

    def __init__(self, n_members: int = 5, estimators=None, mc_samples: int = 20) -> None:
        self.n_members = n_members
        self.estimators = estimators
        self.mc_samples = mc_samples

    def _posterior_kind(self, ctx: PoolContext) -> str:
        if self.estimators is not None:
            return "ensemble"
        return "mc_dropout" if ctx.has_posterior_samples() else "bootstrap"

    def _committee(self, ctx: PoolContext) -> np.ndarray:
        ctx.require_model(self.name)
        kind = self._posterior_kind(ctx)
        if kind == "ensemble":
            return ctx.ensemble_proba(list(self.estimators), self.name)
        if kind == "mc_dropout":
            return ctx.posterior_proba(int(self.mc_samples), self.name)
        return ctx.committee_proba(int(self.n_members), self.name)

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        sel = super().select(ctx, batch_size, rng)
        return replace(sel, info={**sel.info, "posterior": self._posterior_kind(ctx)})
