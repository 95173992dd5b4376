"""modAL-python (0.4.x): margin, entropy, and information density × entropy.

modAL's query functions take a fitted classifier and the candidate rows (its idiom keeps
``X_pool`` as an array of the unlabeled rows), so `prepare` gathers those rows before the timed
call, as a modAL user's loop holds them already. modAL has no core-set, BADGE or TypiClust.
Its information density is the mean of ``1 / (1 + cosine distance)`` over the candidates, built
as a full N×N matrix (activelab's density_weighted uses the mean cosine similarity itself).
"""

from __future__ import annotations

import numpy as np
from modAL.density import information_density
from modAL.uncertainty import classifier_entropy, entropy_sampling, margin_sampling
from modAL.utils.selection import multi_argmax

from . import Pool, PrecomputedProba


def prepare(pool: Pool) -> None:
    pool._cache["X_cand"] = pool.X[pool.candidate_idx]


def _x_cand(pool: Pool) -> np.ndarray:
    if "X_cand" not in pool._cache:
        prepare(pool)
    return pool._cache["X_cand"]


def _clf(pool: Pool) -> PrecomputedProba:
    return PrecomputedProba(pool.proba, pool.n_classes)


def _idx(result) -> np.ndarray:
    return np.asarray(result[0] if isinstance(result, tuple) else result, dtype=np.intp)


def margin(pool: Pool, batch_size: int, seed: int) -> np.ndarray:
    np.random.seed(seed)  # modAL breaks ties with the global RNG when random_tie_break=True
    pos = _idx(margin_sampling(_clf(pool), _x_cand(pool), n_instances=batch_size))
    return pool.candidate_idx[pos]


def entropy(pool: Pool, batch_size: int, seed: int) -> np.ndarray:
    np.random.seed(seed)
    pos = _idx(entropy_sampling(_clf(pool), _x_cand(pool), n_instances=batch_size))
    return pool.candidate_idx[pos]


def density_weighted(pool: Pool, batch_size: int, seed: int) -> np.ndarray:
    X = _x_cand(pool)
    scores = classifier_entropy(_clf(pool), X) * information_density(X, metric="cosine")
    return pool.candidate_idx[_idx(multi_argmax(scores, n_instances=batch_size))]


IMPLEMENTATIONS = {"margin": margin, "entropy": entropy, "density_weighted": density_weighted}
