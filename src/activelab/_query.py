"""One-shot selection for the current labels: `query` (row positions) and `propose` (the full
`Selection`). Both are one step of `activelab.loop`: build the context, select, check."""

from __future__ import annotations

import numpy as np

from ._errors import InvalidInputError
from ._validation import check_batch_size, check_embedding, check_pool
from .loop import build_context, select_checked
from .strategies import Selection, make_strategy


def propose(
    X, y, *, strategy="auto", model=None, batch_size: int = 10, random_state=None,
    classes=None, embedding=None, **strategy_params,
) -> Selection:
    """Like `query`, but returns the full `Selection` (chosen rows, every candidate's score, info)."""
    strat = make_strategy(strategy, **strategy_params)
    y_arr, labeled = check_pool(X, y)
    batch_size = check_batch_size(batch_size, int((~labeled).sum()))
    rng = np.random.default_rng(random_state)
    seed = int(rng.integers(2**31 - 1))
    if embedding is not None:
        embedding = check_embedding(embedding, labeled.shape[0])
    ctx = build_context(  # X and y were checked above: once is enough (a pass over all of X)
        X, y_arr, strategy=strat, model=model, classes=classes, embedding=embedding,
        random_state=seed, validate=False, labeled=labeled,
    )
    return select_checked(strat, ctx, batch_size, rng)


def query(
    X, y=None, *, strategy="auto", model=None, batch_size: int = 10, random_state=None,
    classes=None, embedding=None, labels=None, backend: str | None = None,
    ray_address: str | None = None, **strategy_params,
) -> np.ndarray:
    """Pick the next `batch_size` pool rows to label.

    Parameters
    ----------
    X : array-like, DataFrame or sparse matrix of shape (n_samples, n_features), or ParquetPool
        The whole pool, labeled and unlabeled rows; or an `activelab.ParquetPool` (rows in
        Parquet files or a Ray Dataset, addressed by id), which is streamed block by block.
    y : array-like of shape (n_samples,)
        Labels, with `activelab.UNLABELED` (-1) for integers or None/NaN for object/float arrays.
        Not used with a ParquetPool (give `labels`).
    strategy : str or Strategy
        A registered name (see `activelab strategies`) or a strategy object. Default ``"auto"``,
        the recommended default: TypiClust while labels are few or the model misfits them,
        BADGE after (`activelab.strategies.auto.Auto`).
    model : scikit-learn classifier, model factory or fitted model, optional
        A scikit-learn classifier with predict_proba, fitted (used as is) or not (a clone is
        fitted on the labeled rows); or any object of the model seam (`activelab.models`).
        Default: standardized logistic regression. The object passed in is never mutated.
    batch_size : int
        How many rows to return.
    random_state : int, Generator or None
        Seed for tie-breaking, sampling and committees.
    classes : array-like, optional
        The full label set, when some classes have no label yet.
    embedding : ndarray of shape (n_samples, n_dims), optional
        A representation for strategies that need geometry.
    labels : mapping {id: label}, ParquetPool only
        The labels so far, by id.
    backend : "local" or "ray", ParquetPool only (default "local")
        "local" streams the shards in this process; "ray" runs one worker per CPU of a Ray
        cluster. The exact strategies pick the same rows either way, and the same as in memory
        (`activelab strategies` lists which strategies run on a ParquetPool).
    ray_address : str, optional
        The Ray cluster ("host:port" or "auto"); None starts a local Ray with this machine's cores.
    **strategy_params
        Passed to the strategy's constructor (e.g. ``n_members=7`` for ``qbc_vote``).

    Returns
    -------
    ndarray of int, shape (batch_size,)
        Distinct row positions of unlabeled rows, most informative first; for a ParquetPool,
        the chosen ids.
    """
    from .pools.parquet import ParquetPool

    if isinstance(X, ParquetPool):
        if y is not None:
            raise InvalidInputError(
                "a ParquetPool takes its labels by id: query(pool, labels={id: label, ...}), not y.")
        if embedding is not None:
            raise InvalidInputError("embedding= is not used with a ParquetPool: store the "
                                    "embedding as the pool's feature column instead.")
        from .distributed import query_pool

        return query_pool(
            X, labels, strategy=strategy, model=model, batch_size=batch_size,
            random_state=random_state, classes=classes, backend=backend or "local",
            ray_address=ray_address, **strategy_params,
        )
    if labels is not None or backend is not None or ray_address is not None:
        raise InvalidInputError(
            "labels=, backend= and ray_address= are for a ParquetPool; an in-memory pool takes "
            "y (labels with activelab.UNLABELED) and runs in this process.")
    if y is None:
        raise InvalidInputError("query(X, y): y is missing (labels for every row, "
                                "activelab.UNLABELED where unknown).")
    return propose(
        X, y, strategy=strategy, model=model, batch_size=batch_size,
        random_state=random_state, classes=classes, embedding=embedding, **strategy_params,
    ).idx
