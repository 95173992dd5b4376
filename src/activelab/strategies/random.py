"""Uniform random sampling: the baseline every strategy must beat."""

from __future__ import annotations

import numpy as np

from ._base import Selection, Strategy
from ._context import PoolContext
from ._registry import register


@register
class RandomSampling(Strategy):
    """Uniform random sampling of the unlabeled pool (the passive-learning baseline)."""

    name = "random"
    reports_scores = "never"
    family = "baseline"
    reference = "Passive learning baseline (e.g. Settles 2009, Active Learning Literature Survey)"
    needs_model = False

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        cand = ctx.candidate_idx
        return Selection(idx=rng.choice(cand, size=batch_size, replace=False))
