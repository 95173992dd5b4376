"""The pool state handed to a strategy: data, labels, a fitted model, and shared, cached
computations (probabilities, embeddings, committees) so each is computed once per round.

A `PoolContext` is data the loop fills (`activelab.loop.build_context` validates the pool and
fits the model); anyone may also construct one directly. Models are trained only through the
model seam (`context.factory`), never by cloning inside the context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._errors import ColdStartError, InvalidInputError
from .._features import standardized
from .._labels import as_label_array, compact, labeled_mask
from .._validation import take_rows
from ..models import (
    FittedModel,
    ModelFactory,
    as_model_factory,
    bootstrap_committee,
    check_trainable,
    ensemble,
)


@dataclass
class PoolContext:
    """Everything a strategy may read about one round.

    Attributes
    ----------
    X : array-like of shape (n_samples, n_features)
        The whole pool (labeled and unlabeled rows); every index is a row position in it.
    y : ndarray of shape (n_samples,)
        Labels with the unlabeled marker where unknown.
    labeled : ndarray of bool, shape (n_samples,), optional
        Derived from `y` when not given.
    classes : ndarray of shape (n_classes,), optional
        The full label set; probability columns follow this order. Default: the labels seen,
        together with the fitted model's classes.
    model : FittedModel or None
        A model fitted on the labeled rows (None when no strategy needs one).
    factory : ModelFactory or None
        Trains further models (committees, refits) through the model seam.
    embedding : ndarray of shape (n_samples, n_dims) or None
        A user-supplied representation; otherwise taken from the model or standardized X.
    random_state : int or None
        Seed of the round, for cached computations that need randomness (committees).
    """

    X: Any
    y: np.ndarray
    labeled: np.ndarray | None = None
    classes: np.ndarray | None = None
    model: FittedModel | None = None
    factory: ModelFactory | None = None
    embedding: np.ndarray | None = None
    random_state: int | None = None
    _cache: dict = field(default_factory=dict, repr=False)
    #: The last committee or ensemble fitted for this context (None before any).
    members: list | None = field(default=None, repr=False)
    #: Threads for block-wise prediction (None: `predict_threads(model)`; a Ray worker sets 1).
    threads: int | None = field(default=None, repr=False)
    #: X was checked for NaN/inf already (`build_context`), so scikit-learn's own check of every
    #: predicted block is skipped (`assume_finite`; ~15 % of a logistic regression's predict).
    checked_finite: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        self.y = as_label_array(self.y)
        if self.labeled is None:
            self.labeled = labeled_mask(self.y)
        self.labeled = np.asarray(self.labeled, dtype=bool)
        if self.labeled.shape != self.y.shape:
            raise InvalidInputError(
                f"labeled has shape {self.labeled.shape} but y has {self.y.shape}."
            )
        if self.classes is None:
            seen = np.unique(compact(self.y[self.labeled])) if self.labeled.any() else np.asarray([])
            if self.model is not None:
                seen = np.unique(np.concatenate([seen, np.asarray(self.model.classes)]))
            self.classes = seen
        self.classes = np.asarray(self.classes)

    @property
    def n_samples(self) -> int:
        return int(self.labeled.shape[0])

    @property
    def candidate_idx(self) -> np.ndarray:
        """Row positions of the unlabeled pool, in increasing order (the candidates)."""
        if "candidate_idx" not in self._cache:
            self._cache["candidate_idx"] = np.flatnonzero(~self.labeled)
        return self._cache["candidate_idx"]

    @property
    def labeled_idx(self) -> np.ndarray:
        if "labeled_idx" not in self._cache:
            self._cache["labeled_idx"] = np.flatnonzero(self.labeled)
        return self._cache["labeled_idx"]

    def require_model(self, who: str) -> FittedModel:
        """The fitted model, or a ColdStartError that says how to get one."""
        if self.model is None:
            raise ColdStartError(
                f"{who} needs a trained model; label at least two classes first or start "
                "with an exploration strategy."
            )
        return self.model

    def require_factory(self, who: str) -> ModelFactory:
        """The model factory (to train committees or refits), or an error that says why not."""
        if self.factory is None:
            raise ColdStartError(
                f"{who} trains extra models and needs a model factory (an unfitted classifier); "
                "the context holds only a fitted model."
            )
        return self.factory

    def proba(self, who: str = "this strategy") -> np.ndarray:
        """Predicted probabilities of the candidates, shape (n_candidates, n_classes).

        Predicted a block of rows at a time (`map_rows`): the candidate rows are never copied
        whole, so memory beyond the table is one block of inputs."""
        if "proba" not in self._cache:
            model = self.require_model(who)
            if self.candidate_idx.shape[0] == 0:
                self._cache["proba"] = np.empty((0, self.classes.shape[0]))
                return self._cache["proba"]
            self._cache["proba"] = map_rows(model.predict_proba, self.X, self.candidate_idx,
                                            threads=self.threads or predict_threads(model),
                                            assume_finite=self.checked_finite)
        return self._cache["proba"]

    def predict_proba_rows(self, idx: np.ndarray, who: str = "this strategy") -> np.ndarray:
        """The fitted model's probabilities for pool rows `idx` (labeled or not), not cached."""
        model = self.require_model(who)
        return map_rows(model.predict_proba, self.X, np.asarray(idx, dtype=np.intp),
                        threads=predict_threads(model), assume_finite=self.checked_finite)

    def last_layer_input(self, who: str = "this strategy") -> np.ndarray:
        """What the model's final layer sees for each candidate, shape (n_candidates, n_dims)."""
        if "last_layer_input" not in self._cache:
            model = self.require_model(who)
            fn = getattr(model, "last_layer_input", None)
            if not callable(fn):
                raise InvalidInputError(
                    f"{who} needs the model's last-layer inputs, but {type(model).__name__} has no "
                    "last_layer_input(X); implement it (see activelab.models.LastLayer)."
                )
            self._cache["last_layer_input"] = map_rows(fn, self.X, self.candidate_idx,
                                                       assume_finite=self.checked_finite)
        return self._cache["last_layer_input"]

    def features(self) -> np.ndarray:
        """A float32 representation of the whole pool (n_samples, n_dims) for geometry.

        User embedding first, then the model's own representation, then standardized inputs.
        """
        if "features" not in self._cache:
            emb = self.embedding
            embed = getattr(self.model, "embed", None)
            if emb is None and callable(embed):
                emb = embed(self.X)
            if emb is None:
                emb = standardized(self.X)
            self._cache["features"] = np.ascontiguousarray(emb, dtype=np.float32)
        return self._cache["features"]

    def has_posterior_samples(self) -> bool:
        """Whether the fitted model samples its predictive posterior (e.g. MC dropout)."""
        return callable(getattr(self.model, "posterior_samples", None))

    def posterior_proba(self, n_samples: int, who: str = "this strategy") -> np.ndarray:
        """Candidate probabilities from the model's posterior samples, shape
        (n_samples, n_candidates, n_classes), seeded by the round's random_state."""
        key = ("posterior", n_samples)
        if key not in self._cache:
            model = self.require_model(who)
            sample = getattr(model, "posterior_samples", None)
            if not callable(sample):
                raise InvalidInputError(
                    f"{who}: {type(model).__name__} has no posterior_samples(X, n_samples); "
                    "see activelab.models.PosteriorSampler."
                )
            self._cache[key] = np.asarray(
                sample(take_rows(self.X, self.candidate_idx), n_samples,
                       random_state=self.random_state), dtype=np.float64)
        return self._cache[key]

    def committee_proba(self, n_members: int, who: str = "this strategy") -> np.ndarray:
        """Candidate probabilities from a bootstrap committee, shape (n_members, n_candidates, n_classes).

        Members come from the context's factory fitted on stratified bootstrap resamples of the
        labeled rows, so each member has seen every labeled class.
        """
        key = ("committee", n_members)
        if key not in self._cache:
            self._cache[key] = self._stack(self.committee_members(n_members, who))
        return self._cache[key]

    def committee_members(self, n_members: int, who: str = "this strategy") -> list[FittedModel]:
        """The fitted bootstrap committee behind `committee_proba` (cached; also kept as
        ``self.members`` so a distributed query can ship it to its workers)."""
        key = ("committee_members", n_members)
        if key not in self._cache:
            factory = self.require_factory(who)
            check_trainable(compact(self.y[self.labeled_idx]), who)
            self._cache[key] = bootstrap_committee(factory, self.X, self.y, self.labeled_idx,
                                                   self.classes, n_members, self.random_state)
        self.members = self._cache[key]
        return self.members

    def ensemble_proba(self, models, who: str = "this strategy") -> np.ndarray:
        """Candidate probabilities from an explicit ensemble, shape (n_members, n_candidates, n_classes).

        `models` are factories or unfitted classifiers, each fitted on all labeled rows (the
        originals are untouched); cached per list of model objects.
        """
        models = tuple(models)
        key = ("ensemble", tuple(id(m) for m in models))
        cached = self._cache.get(key)
        if cached is not None and all(a is b for a, b in zip(cached[0], models)):
            return cached[1]
        out = self._stack(self.ensemble_members(models, who))
        self._cache[key] = (models, out)  # holding the objects keeps their ids unique
        return out

    def ensemble_members(self, models, who: str = "this strategy") -> list[FittedModel]:
        """The fitted members behind `ensemble_proba` (also kept as ``self.members``)."""
        check_trainable(compact(self.y[self.labeled_idx]), who)
        factories = [as_model_factory(m) for m in models]
        self.members = ensemble(factories, self.X, self.y, self.labeled_idx, self.classes,
                                self.random_state)
        return self.members

    def refit_with(self, rows: np.ndarray, labels, random_state=None,
                   who: str = "this strategy") -> FittedModel:
        """A model from the factory fitted on the labeled rows plus (`rows`, `labels`); the
        context (its y included) is left untouched."""
        factory = self.require_factory(who)
        rows = np.atleast_1d(np.asarray(rows, dtype=np.intp))
        y = self.y.copy()
        y[rows] = labels
        idx = np.append(self.labeled_idx, rows)
        check_trainable(compact(y[idx]), who)
        return factory.fit(self.X, y, idx, self.classes, random_state=random_state)

    def _stack(self, members) -> np.ndarray:
        out = np.empty((len(members), self.candidate_idx.shape[0], self.classes.shape[0]))
        if out.shape[1] == 0:  # no candidates (e.g. a context over labeled rows only)
            return out
        for start, stop, X_block in iter_row_blocks(self.X, self.candidate_idx):
            for m, member in enumerate(members):
                out[m, start:stop] = member.predict_proba(X_block)
        return out


#: Bytes of input rows handed to the model per call in `map_rows`: large enough that a model's
#: per-call overhead is negligible, small enough that the block and the model's temporaries
#: stay in cache-friendly sizes (measured on logistic regression, 10⁶ × 64 float32, 2 threads:
#: 2–4 MiB 0.19–0.20 s, 1 MiB 0.26 s, 8–16 MiB 0.27–0.28 s).
BLOCK_BYTES = 4 * 2**20


def _block_rows(X, n: int) -> int:
    """Rows per block for `iter_row_blocks`: BLOCK_BYTES of X's rows, at least 1024."""
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) < 2:
        return max(n, 1)
    itemsize = np.dtype(X.dtype).itemsize if hasattr(X, "dtype") else 8  # DataFrame: 8 per cell
    row_bytes = int(np.prod(shape[1:])) * itemsize
    return max(1024, BLOCK_BYTES // max(row_bytes, 1))


def iter_row_blocks(X, idx: np.ndarray):
    """Yield (start, stop, rows idx[start:stop] of X) a block at a time.

    A NumPy pool whose candidates are a contiguous run is sliced (a view, no copy); otherwise one
    block of rows is gathered at a time. Other containers (DataFrames, sparse, lists) are
    gathered per block too, except sequences without a shape, which go in one piece (a model of
    raw objects may batch them itself)."""
    for start, stop, take in _row_blocks(X, idx):
        yield start, stop, take()


def _row_blocks(X, idx: np.ndarray):
    """(start, stop, a function returning those rows of X): the gather itself is left to the
    caller, so that on threads it runs in parallel too."""
    n = idx.shape[0]
    if n == 0:
        yield 0, 0, lambda: take_rows(X, idx)
        return
    step = _block_rows(X, n)
    contiguous = isinstance(X, np.ndarray) and int(idx[-1]) - int(idx[0]) == n - 1
    first = int(idx[0])
    for start in range(0, n, step):
        stop = min(n, start + step)
        if contiguous:
            yield start, stop, (lambda a=first + start, b=first + stop: X[a:b])
        else:
            yield start, stop, (lambda a=start, b=stop: take_rows(X, idx[a:b]))


_BLAS_CONTROLLER = None


def _blas_controller():
    """threadpoolctl's controller, made once (finding the loaded BLAS libraries costs ~30 ms)."""
    global _BLAS_CONTROLLER
    if _BLAS_CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _BLAS_CONTROLLER = ThreadpoolController()
    return _BLAS_CONTROLLER


def _finite_assumed(fn):
    """`fn` run under scikit-learn's ``assume_finite`` (thread-local, so set in each thread)."""
    from sklearn import config_context

    def call(rows):
        with config_context(assume_finite=True):
            return fn(rows)

    return call


def map_rows(fn, X, idx: np.ndarray, *, threads: int = 1, assume_finite: bool = False) -> np.ndarray:
    """``fn(X[idx])`` computed a block of rows at a time and stacked (row-wise functions only:
    predict_proba, embeddings), without copying ``X[idx]`` whole.

    With ``threads > 1`` blocks run on that many threads, each with one BLAS thread (for
    functions that are safe to call concurrently and release the GIL in their heavy parts, as
    scikit-learn's predict_proba does: its GEMM and its softmax); results are the same, block by
    block."""
    blocks = _row_blocks(X, idx)
    start, stop, take = next(blocks)
    part = np.asarray(fn(take()))
    if stop == idx.shape[0]:
        return part  # one block: no second copy
    out = np.empty((idx.shape[0],) + part.shape[1:], dtype=part.dtype)
    out[start:stop] = part

    def put(block) -> None:
        a, b, rows = block
        out[a:b] = fn(rows())

    if threads <= 1:
        for block in blocks:
            put(block)
        return out
    from concurrent.futures import ThreadPoolExecutor

    # one BLAS thread per block thread: nested BLAS threads oversubscribe the cores (measured
    # on logistic regression, 10⁶ × 64, 2 cores: 0.17 s with, 0.24–0.29 s without the limit)
    with _blas_controller().limit(limits=1, user_api="blas"), \
            ThreadPoolExecutor(max_workers=threads) as pool:
        # at most 2 blocks in flight per thread, so gathered inputs stay bounded
        pending = []
        for block in blocks:
            pending.append(pool.submit(put, block))
            if len(pending) >= 2 * threads:
                pending.pop(0).result()
        for f in pending:
            f.result()
    return out


def predict_threads(model) -> int:
    """Threads for block-wise prediction: the machine's cores for models that declare their
    predict_proba safe to call concurrently (`parallel_predict = True`, as scikit-learn adapters
    do), else 1."""
    if not getattr(model, "parallel_predict", False):
        return 1
    import os

    return max(1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else (os.cpu_count() or 1)))
