"""`auto` over workers: the same decision as in memory (`Auto.phase`, which only reads the labeled
rows and the model), then its explore strategy (TypiClust) or its exploit strategy (BADGE) run
distributed, with the outlier guard's quartiles estimated on a uniform sample of the pool."""

from __future__ import annotations

import numpy as np

from ..strategies import PoolContext, make_strategy
from .support import support_for

#: Rows sampled to estimate the quartiles of the feature norms for the outlier guard.
GUARD_SAMPLE = 100_000


def auto_select(*, strategy, batch_size, runner, workers, rng, positions, per_worker, y,
                classes, fitted, factory, seed, X_lab, n_cand, bounds, **rest) -> np.ndarray:
    from .query import _METHODS, _candidate_positions, _featurizer, _gather
    from .clusters import _gather_features

    if X_lab is None:
        X_lab = _gather(runner, workers, per_worker)
    lab = PoolContext(X=X_lab, y=y, classes=classes, model=fitted, factory=factory,
                      random_state=seed)
    decision = strategy.phase(lab)
    common = dict(batch_size=batch_size, runner=runner, workers=workers, positions=positions,
                  per_worker=per_worker, y=y, classes=classes, fitted=fitted, factory=factory,
                  seed=seed, X_lab=X_lab, n_cand=n_cand, bounds=bounds, **rest)

    def run(name, gen):
        s = make_strategy(name)
        return np.asarray(_METHODS[support_for(s).method](strategy=s, rng=gen, **common))

    if decision["phase"] == "explore":
        return run(strategy.explore, rng)
    idx = run(strategy.exploit, rng)
    if strategy.outlier_fence is None:
        return idx
    feat = _featurizer(runner, workers, fitted, X_lab)
    n_rows = n_cand + positions.shape[0]
    sample = np.sort(np.random.default_rng(seed).choice(n_rows, size=min(n_rows, GUARD_SAMPLE),
                                                        replace=False))
    norms = np.linalg.norm(_gather_features(runner, workers, bounds, sample, feat)
                           .astype(np.float64), axis=1)
    q1, q3 = np.percentile(norms, [25, 75])
    order = np.argsort(idx)
    picked = np.empty(idx.shape[0])
    picked[order] = np.linalg.norm(
        _gather_features(runner, workers, bounds, idx[order], feat).astype(np.float64), axis=1)
    far = picked > q3 + float(strategy.outlier_fence) * (q3 - q1)
    if not far.any():
        return idx
    gen = np.random.default_rng(int(rng.integers(2**63 - 1)))
    typical = run(strategy.explore, gen)
    kept = idx[~far]
    fill = typical[~np.isin(typical, kept)][: int(far.sum())]
    if fill.shape[0] < int(far.sum()):  # too few typical rows left: keep the outliers
        return idx
    _ = _candidate_positions
    return np.concatenate([kept, fill])
