"""activelab's strategies behind the common `fn(pool, batch_size, seed)` signature.

The PoolContext carries a fitted-model stand-in that returns the precomputed probabilities, so
the timed call is the strategy's selection alone (the model's own predict_proba is timed
separately by the speed suite). Geometry uses `embedding=pool.X`, exactly the array the peers see.
"""

from __future__ import annotations

import numpy as np

from activelab import PoolContext, make_strategy
from activelab.models import SklearnFitted

from . import STRATEGIES, Pool, PrecomputedProba


def context(pool: Pool) -> PoolContext:
    model = SklearnFitted(_Linear(pool), np.arange(pool.n_classes))
    return PoolContext(X=pool.X, y=pool.y, labeled=pool.y >= 0, classes=np.arange(pool.n_classes),
                       model=model, embedding=pool.X)


class _Linear(PrecomputedProba):
    """Precomputed probabilities; `last_layer_input` (BADGE's h) is X itself, as for a plain
    linear model."""

    def __init__(self, pool: Pool) -> None:
        super().__init__(pool.proba, pool.n_classes)


def _select(name: str):
    def fn(pool: Pool, batch_size: int, seed: int) -> np.ndarray:
        ctx = pool._cache.get("activelab_ctx") or context(pool)
        return make_strategy(name).select(ctx, batch_size, np.random.default_rng(seed)).idx

    fn.__name__ = f"activelab_{name}"
    return fn


IMPLEMENTATIONS = {name: _select(name) for name in STRATEGIES}


def prepare(pool: Pool) -> None:
    """Build the round's context and fill its probability cache before the timed call (in a
    real round the loop computes the model's probabilities once and every strategy shares them)."""
    ctx = context(pool)
    ctx.proba()
    pool._cache["activelab_ctx"] = ctx
