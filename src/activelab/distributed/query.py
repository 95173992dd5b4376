"""The driver half of a distributed query: labels by id, the model fitted on the gathered labeled
rows, and each strategy's algorithm run over `ShardWorker`s on a backend ("local" or "ray").

It mirrors `activelab.propose` step for step — the same seed derivation, the same model fit on
the same rows in the same order, the same tie-breaking draws — so that on the same pool the
exact strategies pick the same rows as in memory (`tests/distributed` checks it).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .._errors import InvalidInputError
from .._labels import as_label_array, compact, labeled_mask
from .._validation import check_batch_size
from ..backends import get_backend
from ..loop import _union, resolve_classes, resolve_model
from ..models import check_trainable, is_fitted_model
from ..pools.parquet import ParquetPool, Piece
from ..strategies import PoolContext, make_strategy
from ..strategies._base import _check_no_nan, top_k, top_k_at
from .support import support_for
from .worker import Featurizer, ShardWorker

#: Features a worker may keep in memory to skip re-reading its pieces (coreset, BADGE passes).
DEFAULT_CACHE_BYTES = 1 << 30
#: Rows read and scored per block.
DEFAULT_BLOCK_ROWS = 65536


def query_pool(
    pool: ParquetPool, labels: Mapping | None = None, *, strategy="margin", model=None,
    batch_size: int = 10, random_state=None, classes=None, backend: str = "local",
    ray_address: str | None = None, num_workers: int | None = None,
    block_rows: int = DEFAULT_BLOCK_ROWS, cache_bytes: int = DEFAULT_CACHE_BYTES,
    **strategy_params,
) -> np.ndarray:
    """Pick `batch_size` ids of a `ParquetPool` to label next; see `activelab.query`."""
    if not isinstance(pool, ParquetPool):
        raise InvalidInputError(f"query_pool needs a ParquetPool; got {type(pool).__name__}.")

    def by_id(runner, workers):
        index = _id_index(pool, runner, workers)
        return (*_label_positions(index, labels), index)

    chosen, index = _run(pool, by_id, strategy=strategy, model=model, fitted=None,
                         batch_size=batch_size, random_state=random_state, classes=classes,
                         backend=backend, ray_address=ray_address, num_workers=num_workers,
                         block_rows=block_rows, cache_bytes=cache_bytes,
                         strategy_params=strategy_params)
    return index.take(chosen).to_numpy(zero_copy_only=False)


def select_rows(
    pool: ParquetPool, positions: np.ndarray, y_labeled: np.ndarray, *, strategy, model=None,
    fitted=None, batch_size: int = 10, random_state=None, classes=None, backend: str = "local",
    ray_address: str | None = None, num_workers: int | None = None,
    block_rows: int = DEFAULT_BLOCK_ROWS, cache_bytes: int = DEFAULT_CACHE_BYTES,
) -> np.ndarray:
    """Row positions in, row positions out (no id scan): how `ActiveLoop` sends a round to a
    backend. `positions` are the labeled rows (sorted), `y_labeled` their labels; `fitted` a
    model already fitted on them (used as is; `model` is then the factory for committees)."""
    order = np.argsort(np.asarray(positions, dtype=np.int64), kind="stable")
    pos, y = np.asarray(positions, dtype=np.int64)[order], as_label_array(y_labeled)[order]
    chosen, _ = _run(pool, lambda runner, workers: (pos, y, None), strategy=strategy,
                     model=model, fitted=fitted, batch_size=batch_size,
                     random_state=random_state, classes=classes, backend=backend,
                     ray_address=ray_address, num_workers=num_workers, block_rows=block_rows,
                     cache_bytes=cache_bytes, strategy_params={}, keep_workers=True)
    return chosen


def _run(pool, label_fn, *, strategy, model, fitted, batch_size, random_state, classes,
         backend, ray_address, num_workers, block_rows, cache_bytes, strategy_params,
         keep_workers: bool = False):
    """Start the workers, resolve the labels, fit the model as `propose` does, run the
    strategy's algorithm; returns (chosen positions, the id index or None). With
    `keep_workers` (a loop's rounds) Ray actors stay for the next call on the same pool."""
    strat = make_strategy(strategy, **strategy_params)
    how = support_for(strat)
    if hasattr(strat, "_validate_params"):
        strat._validate_params()
    runner = get_backend(backend, ray_address=ray_address, num_workers=num_workers)
    n_workers = runner.n_workers(len(pool.pieces))
    groups = _partition(_split_pieces(pool, n_workers), n_workers)
    threads = 1 if runner.name == "ray" else None
    workers = runner.start(ShardWorker, [(g, pool.spec, int(block_rows), int(cache_bytes), threads)
                                         for g in groups])
    try:
        positions, y_lab, index = label_fn(runner, workers)
        bounds = np.array([g[0].offset for g in groups] + [pool.n_rows], dtype=np.int64)
        per_worker = [positions[(positions >= bounds[w]) & (positions < bounds[w + 1])]
                      for w in range(len(groups))]
        counts = runner.call(workers, "set_labeled", [(p,) for p in per_worker])
        n_cand = int(sum(counts))
        batch_size = check_batch_size(batch_size, n_cand)
        rng = np.random.default_rng(random_state)
        seed = int(rng.integers(2**31 - 1))  # as `propose`: the round's seed, then rng for the picks

        y_arr = y_lab
        all_labeled = np.ones(y_arr.shape[0], dtype=bool)
        classes = resolve_classes(y_arr, all_labeled, classes)
        factory, fixed = resolve_model(model, classes)
        X_lab = None
        if fitted is None and fixed is not None and (strat.needs_model or is_fitted_model(model)):
            fitted = fixed
        if fitted is not None:
            classes = _union(classes, fitted.classes)
        elif strat.needs_model:
            check_trainable(compact(y_arr), f"strategy {strat.name!r}")
            X_lab = _gather(runner, workers, per_worker)
            fitted = factory.fit(X_lab, y_arr, np.arange(y_arr.shape[0]), classes, random_state=seed)
        ctx = dict(runner=runner, workers=workers, per_worker=per_worker, positions=positions,
                   bounds=bounds[:-1], n_cand=n_cand, rng=rng, seed=seed, classes=classes,
                   factory=factory, fitted=fitted, y=y_arr, X_lab=X_lab, strategy=strat)
        chosen = np.asarray(_METHODS[how.method](batch_size=batch_size, **ctx), dtype=np.int64)
        if chosen.shape != (batch_size,) or np.unique(chosen).shape[0] != batch_size \
                or np.isin(chosen, positions).any():
            raise RuntimeError(f"distributed {strat.name!r} broke its contract: {chosen[:20]}")
    except BaseException:
        runner.stop(workers, failed=True)
        raise
    runner.stop(workers, keep=keep_workers)
    return chosen, index


# ---- pieces and workers ------------------------------------------------------------------------

def _split_pieces(pool: ParquetPool, n_workers: int) -> list[Piece]:
    """The pool's pieces, with files split into one piece per row group when there are fewer
    pieces than 4 per worker (so a pool of a few big files still spreads over every worker)."""
    pieces = pool.pieces
    if len(pieces) >= 4 * n_workers:
        return pieces
    import pyarrow.parquet as pq

    out = []
    for p in pieces:
        if not isinstance(p.source, str) or len(p.row_groups) < 2:
            out.append(p)
            continue
        try:
            md = pq.ParquetFile(p.source, filesystem=p.filesystem).metadata
        except FileNotFoundError as exc:
            raise InvalidInputError(f"shard {p.source} is missing (was it moved or deleted?).") from exc
        except Exception as exc:  # noqa: BLE001 - pyarrow: ArrowInvalid, OSError
            raise InvalidInputError(f"shard {p.source} cannot be read: {exc}") from exc
        offset = p.offset
        for g in p.row_groups:
            n = md.row_group(g).num_rows
            if n:
                out.append(Piece(p.source, offset, n, (g,), p.filesystem))
                offset += n
    return out


def _partition(pieces: list[Piece], n_workers: int) -> list[list[Piece]]:
    """Contiguous runs of pieces, one per worker, balanced by rows (none empty)."""
    n_workers = max(1, min(n_workers, len(pieces)))
    total = sum(p.n_rows for p in pieces)
    groups, current, done = [], [], 0
    for i, p in enumerate(pieces):
        current.append(p)
        done += p.n_rows
        left_pieces, left_groups = len(pieces) - i - 1, n_workers - len(groups) - 1
        if left_groups > 0 and (done >= total * (len(groups) + 1) / n_workers
                                or left_pieces == left_groups):
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def _id_index(pool: ParquetPool, runner, workers):
    """All ids in row order as one Arrow (chunked) array, cached on the pool until a file
    changes; an error for duplicate ids. Integer ids are checked by sorting a copy (8 bytes a
    row; a hash of 10⁸ ids took over 5 GB), other ids with Arrow's hash count."""
    import pyarrow as pa
    import pyarrow.compute as pc

    key = pool.fingerprint()
    cached = getattr(pool, "_index", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    parts = [a for per in runner.call(workers, "scan_ids") for a in per]
    try:
        index = pa.chunked_array(parts)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InvalidInputError(f"the id column has different types in different shards: {exc}") from exc
    if pa.types.is_integer(index.type):
        ordered = index.to_numpy()  # several chunks: a new array; one chunk: a read-only view
        if not ordered.flags.writeable:
            ordered = ordered.copy()
        ordered.sort()
        same = ordered[1:] == ordered[:-1]
        dups = np.unique(ordered[1:][same]) if same.any() else None
        del ordered, same
        shown = None if dups is None else ([str(v) for v in dups[:5]], dups.shape[0])
    elif pc.count_distinct(index).as_py() != len(index):
        counts = pc.value_counts(index)
        dup = counts.filter(pc.greater(counts.field("counts"), 1))
        shown = ([str(v) for v in dup.field("values")[:5].to_pylist()], len(dup))
    else:
        shown = None
    if shown is not None:
        raise InvalidInputError(
            f"duplicate ids in {pool.id_column!r}: {', '.join(shown[0])} ({shown[1]} ids occur "
            "more than once); ids must be unique across all shards.")
    pool._index = (key, index)
    return index


def _label_positions(index, labels) -> tuple[np.ndarray, np.ndarray]:
    """(sorted global positions of the labeled ids, their labels in that order)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if labels is None:
        labels = {}
    if not isinstance(labels, Mapping):
        raise InvalidInputError(
            f"labels must be a mapping {{id: label}}; got {type(labels).__name__}.")
    if not labels:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    keys = list(labels.keys())
    if pa.types.is_integer(index.type):  # pyarrow would truncate 4.5 to 4
        bad = [k for k in keys if k is not None and (
            isinstance(k, bool) or not isinstance(k, (int, np.integer)))]
        if bad:
            raise InvalidInputError(
                f"label ids must have the id column's type ({index.type}): integers; got "
                f"{bad[0]!r} ({type(bad[0]).__name__}).")
    try:
        key_arr = pa.array(keys, type=index.type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as exc:
        raise InvalidInputError(
            f"label ids must have the id column's type ({index.type}); got {keys[0]!r} "
            f"({type(keys[0]).__name__}).") from exc
    # a hash of the (few) label ids, one pass over the pool's ids: memory O(rows) bits, not a
    # hash table of every id
    hit = np.flatnonzero(pc.is_in(index, value_set=key_arr).to_numpy(zero_copy_only=False))
    which = pc.index_in(index.take(pa.array(hit)), value_set=key_arr).to_numpy(zero_copy_only=False)
    pos = np.full(len(keys), -1, dtype=np.int64)
    pos[which.astype(np.int64)] = hit
    if (pos < 0).any():
        lost = np.flatnonzero(pos < 0)
        missing = [keys[i] for i in lost[:5]]
        raise InvalidInputError(
            f"labels for unknown ids: {', '.join(map(repr, missing))} ({lost.shape[0]} of "
            f"{len(keys)} label ids are not in the pool).")
    y = as_label_array(list(labels.values()))
    if not labeled_mask(y).all():
        bad = keys[int(np.flatnonzero(~labeled_mask(y))[0])]
        raise InvalidInputError(
            f"the label of id {bad!r} is the unlabeled marker; leave unlabeled ids out of labels.")
    order = np.argsort(pos, kind="stable")
    return pos[order], y[order]


def _gather(runner, workers, per_worker) -> np.ndarray:
    """Features of the labeled rows, in position order."""
    parts = runner.call(workers, "gather", [(p,) for p in per_worker])
    return np.concatenate(parts)


def _candidate_positions(ranks: np.ndarray, labeled: np.ndarray) -> np.ndarray:
    """Global positions of candidates given their ranks among the candidates (labeled sorted):
    the r-th unlabeled row is at r + (number of labeled rows before it)."""
    ranks = np.asarray(ranks, dtype=np.int64)
    if labeled.shape[0] == 0:
        return ranks
    # labeled[i] − i is the number of candidates before labeled row i (nondecreasing)
    before = labeled - np.arange(labeled.shape[0])
    return ranks + np.searchsorted(before, ranks, side="right")


def _owner(position: int, per_worker_bounds: np.ndarray) -> int:
    return int(np.searchsorted(per_worker_bounds, position, side="right") - 1)


# ---- the strategies' algorithms --------------------------------------------------------------

def _random(*, batch_size, n_cand, rng, positions, **_) -> np.ndarray:
    """As `RandomSampling`: rng.choice over the candidates (the draws depend only on their count)."""
    return _candidate_positions(rng.choice(n_cand, size=batch_size, replace=False), positions)


def _scores(*, batch_size, runner, workers, rng, seed, classes, factory, fitted, y, X_lab,
            strategy, n_cand, per_worker, **_) -> np.ndarray:
    """Score-and-top-k: each worker keeps its rows at or above its k-th score (ties included),
    which holds every row `top_k` looks at, so the merged ranking is the in-memory one."""
    members = None
    if getattr(strategy, "needs_factory", False):
        # fit the committee exactly as in memory: a context over the labeled rows only (no
        # candidates), on which scoring fits the members and scores nothing
        if X_lab is None:
            X_lab = _gather(runner, workers, per_worker)
        lab = PoolContext(X=X_lab, y=y, classes=classes, model=fitted, factory=factory,
                          random_state=seed)
        strategy.scores(lab)
        members = lab.members
    model_ref = runner.put(fitted)
    members_ref = runner.put(members)
    parts = runner.call(workers, "score_top",
                        [(strategy, model_ref, members_ref, classes, seed, batch_size)] * len(workers))
    pos = np.concatenate([p for p, _ in parts])
    scores = np.concatenate([s for _, s in parts])
    order = np.argsort(pos, kind="stable")  # candidate order, as in memory
    pos, scores = pos[order], scores[order]
    if batch_size >= n_cand:
        return pos[top_k(scores, batch_size, rng)]
    kth = np.partition(scores, scores.shape[0] - batch_size)[scores.shape[0] - batch_size]
    _check_no_nan(scores)
    return pos[top_k_at(scores, kth, batch_size, rng)]


def _featurizer(runner, workers, fitted, X_lab) -> Featurizer:
    """`PoolContext.features` block by block: the model's embedding when it has one, else the
    inputs standardized with the whole pool's mean and scale (two passes)."""
    if fitted is not None and callable(getattr(fitted, "embed", None)):
        probe = X_lab[:1] if X_lab is not None and X_lab.shape[0] else None
        if probe is None:  # the pool's first row (worker 0 owns position 0)
            probe = runner.call_one(workers[0], "gather", np.zeros(1, dtype=np.int64))
        if fitted.embed(probe) is not None:
            return Featurizer(model=fitted)
    sums = runner.call(workers, "column_sums")
    n = sum(c for c, _ in sums)
    mean = np.sum([s for _, s in sums], axis=0) / n
    dev = runner.call(workers, "deviation_sums", [(mean,)] * len(workers))
    s1 = np.sum([a for a, _ in dev], axis=0)
    s2 = np.sum([b for _, b in dev], axis=0)
    var = (s2 - s1**2 / n) / n
    eps = np.finfo(np.float64).eps
    constant = var <= n * eps * var + (n * mean * eps) ** 2  # scikit-learn's _is_constant_feature
    scale = np.sqrt(var)
    scale[constant] = 1.0
    return Featurizer(mean=mean, scale=scale)


def _kcenter(*, batch_size, runner, workers, rng, fitted, positions, per_worker, n_cand,
             X_lab, bounds, **_) -> np.ndarray:
    """k-center greedy over the workers: each keeps its candidates' distances to the centers
    and a head of its farthest rows kept exact; a pick is the global best head row once it
    beats every worker's stale bound outside its head (else those workers re-sync)."""
    feat = _featurizer(runner, workers, fitted, X_lab)
    if positions.shape[0]:
        raw = X_lab if X_lab is not None else _gather(runner, workers, per_worker)
        centers = feat(raw)
    else:
        centers = None
    head = max(4096, 8 * batch_size)  # as k_center_greedy's default head size
    summaries = runner.call(workers, "kc_init", [(feat, centers, head)] * len(workers))
    chosen = []
    for t in range(batch_size):
        if t == 0 and not positions.shape[0]:
            p = int(_candidate_positions(np.array([rng.integers(n_cand)]), positions)[0])
            vec = runner.call_one(workers[_owner(p, bounds)], "kc_vector", p)
        else:
            while True:
                best = max(range(len(summaries)), key=lambda w: (summaries[w][0], -summaries[w][1]))
                v, p, vec = summaries[best][0], summaries[best][1], summaries[best][2]
                stale = [w for w, s in enumerate(summaries)
                         if not (v > s[3] or (v == s[3] and p < s[4]))]
                if not stale:
                    break
                synced = runner.call([workers[w] for w in stale], "kc_sync")
                for w, s in zip(stale, synced):
                    summaries[w] = s
        chosen.append(p)
        summaries = runner.call(workers, "kc_add", [(vec, p)] * len(workers))
    return np.asarray(chosen, dtype=np.int64)


def _badge(*, batch_size, runner, workers, rng, fitted, n_cand, positions, bounds,
           **_) -> np.ndarray:
    """BADGE's k-means++ seeding (`iter_kmeanspp`) over the workers, same draws as in memory:
    the running D² sum is chained through the workers in row order, so the inverse-CDF draw
    lands on the same row."""
    model_ref = runner.put(fitted)
    tops = runner.call(workers, "bg_init", [(model_ref,)] * len(workers))
    top = max(t for t, _ in tops)
    tied = np.concatenate([p for t, p in tops if t == top])
    j = int(tied[0] if tied.shape[0] == 1 else rng.choice(tied))
    center = runner.call_one(workers[_owner(j, bounds)], "bg_center", j)
    chosen = [j]
    for step in range(1, batch_size):
        runner.call(workers, "bg_update", [(*center, j)] * len(workers))
        ends, prefix = [], 0.0
        for w in workers:
            prefix = runner.call_one(w, "bg_cumsum_end", prefix)
            ends.append(prefix)
        total = ends[-1]
        if total > 0.0 and np.isfinite(total):
            u = rng.random() * total
            found, start = None, 0.0
            for w, end in zip(workers, ends):
                if end > u:
                    found = runner.call_one(w, "bg_find", u, start)
                    break
                start = end
            if found is None:  # u rounded up to the total: the last row with D² > 0
                last = max(runner.call(workers, "bg_last_nonzero"))
                j = last
                center = runner.call_one(workers[_owner(j, bounds)], "bg_center", j)
            else:
                j, center = found
        else:
            # every unchosen row coincides with a center: uniform over the unchosen rows
            # (rng.choice(n, p=uniform) makes one draw from rng.random)
            u = rng.random()
            taken = np.sort(np.asarray(chosen))
            ranks_taken = np.searchsorted(_candidate_positions(np.arange(n_cand), positions), taken)
            free = np.setdiff1d(np.arange(n_cand), ranks_taken)
            r = free[min(int(u * free.shape[0]), free.shape[0] - 1)]
            j = int(_candidate_positions(np.array([r]), positions)[0])
            center = runner.call_one(workers[_owner(j, bounds)], "bg_center", j)
        chosen.append(j)
    return np.asarray(chosen, dtype=np.int64)


def _kmeans(**kw):
    from .clusters import kmeans_select

    return kmeans_select(**kw)


def _typiclust(**kw):
    from .clusters import typiclust

    return typiclust(**kw)


def _auto(**kw):
    from .auto import auto_select

    return auto_select(**kw)


_METHODS = {"random": _random, "scores": _scores, "kcenter": _kcenter, "badge": _badge,
            "kmeans": _kmeans, "typiclust": _typiclust, "auto": _auto}
