"""The per-worker half of a distributed query: a `ShardWorker` owns a contiguous run of the pool's
pieces, streams them a block at a time, and keeps only per-row state (scores, distances) — or,
within `cache_bytes`, its candidates' features, to skip re-reading them. The driver half
(`activelab.distributed.query`) only exchanges small arrays with it, so the same code runs in
this process (`backend="local"`) or as a Ray actor (`backend="ray"`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._errors import InvalidInputError
from .._labels import UNLABELED
from ..geometry import min_sq_dist, nearest_center, sq_dist_to, sq_norms
from ..pools.parquet import FeatureSpec, Piece, block_arrays, iter_piece
from ..strategies import PoolContext
from ..strategies.badge import _as_real, _rows_dot, gradient_factors, gradient_sq_norms
from ..strategies.coreset import _head


class _BlockContext(PoolContext):
    """A PoolContext over one block of candidates whose committee was fitted by the driver:
    committee and ensemble requests return those members' predictions on the block."""

    def committee_members(self, n_members, who="this strategy"):
        return self._shipped(who)

    def ensemble_members(self, models, who="this strategy"):
        return self._shipped(who)

    def _shipped(self, who):
        if not self.members:
            raise InvalidInputError(f"{who}: the driver shipped no committee to this worker.")
        return self.members


class Featurizer:
    """The geometry strategies' representation of a block of rows, as `PoolContext.features`
    builds it for a whole pool: the model's own embedding when it has one, else the inputs cast
    to float32 and standardized with the pool's mean and scale, as `standardized` does
    (scikit-learn's StandardScaler casts mean_ and scale_ to the data's float32 first)."""

    def __init__(self, model=None, mean: np.ndarray | None = None, scale: np.ndarray | None = None):
        self.model, self.mean, self.scale = model, mean, scale

    def __call__(self, X: np.ndarray) -> np.ndarray:
        if self.model is not None:
            return np.ascontiguousarray(self.model.embed(X), dtype=np.float32)
        Z = np.array(X, dtype=np.float32)
        Z -= self.mean.astype(np.float32)
        Z /= self.scale.astype(np.float32)
        return Z


def _keep_top(pos: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose score is at or above the k-th highest (all ties kept): what `top_k_at` needs."""
    if scores.shape[0] <= k:
        return pos, scores
    kth = np.partition(scores, scores.shape[0] - k)[scores.shape[0] - k]
    keep = scores >= kth
    return pos[keep], scores[keep]


def _best_key(values: np.ndarray, pos: np.ndarray) -> tuple[float, int, int]:
    """(value, position, index) of the best row by (value desc, position asc); pos is sorted."""
    if values.shape[0] == 0:
        return -np.inf, np.iinfo(np.int64).max, -1
    i = int(np.argmax(values))
    return float(values[i]), int(pos[i]), i


class ShardWorker:
    """Owns `pieces` (global row positions offset..offset+n_rows each) of a pool.

    Parameters
    ----------
    pieces : list of Piece
    spec : FeatureSpec
    block_rows : int
        Rows read and scored per block.
    cache_bytes : int
        Keep the candidates' features in memory when they fit in this many bytes (coreset and
        BADGE then never re-read the files); 0 streams every pass.
    threads : int or None
        Threads for prediction and Parquet decoding in this worker (None: the machine's cores,
        for the local backend; a Ray worker holds one CPU and uses 1).
    """

    def __init__(self, pieces: list[Piece], spec: FeatureSpec, block_rows: int = 65536,
                 cache_bytes: int = 0, threads: int | None = None) -> None:
        self.pieces, self.spec = list(pieces), spec
        self.block_rows, self.cache_bytes = int(block_rows), int(cache_bytes)
        self.threads = threads
        self.labeled = np.empty(0, dtype=np.int64)
        self._cache: list | None = None

    def reset(self) -> None:
        """Drop one query's state (distances, gradient factors, cached features)."""
        keep = {"pieces", "spec", "block_rows", "cache_bytes", "threads"}
        for name in list(vars(self)):
            if name not in keep:
                delattr(self, name)
        self.labeled = np.empty(0, dtype=np.int64)
        self._cache = None

    def peak_rss(self) -> int | None:
        """This process's peak resident memory in bytes (Linux VmHWM; None elsewhere), for
        benchmarks that report memory per process."""
        try:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None

    # ---- ids, labels, raw rows -------------------------------------------------------------

    def scan_ids(self) -> list:
        """Each piece's ids as one Arrow array (the id column only is read)."""
        import pyarrow as pa

        out = []
        for piece in self.pieces:
            parts = [b.column(0) for b in iter_piece(piece, self.spec, 1 << 20,
                                                    columns=[self.spec.id_column])]
            ids = pa.concat_arrays(parts) if parts else pa.array([])
            if len(ids) != piece.n_rows:
                raise InvalidInputError(f"{piece.name}: {len(ids)} ids read, {piece.n_rows} rows in its metadata.")
            if ids.null_count:
                raise InvalidInputError(f"{piece.name}: the id column {self.spec.id_column!r} has missing values.")
            out.append(ids)
        return out

    def set_labeled(self, positions: np.ndarray) -> int:
        """The labeled rows among this worker's (sorted global positions); returns #candidates."""
        self.labeled = np.asarray(positions, dtype=np.int64)
        self._cache = None
        return sum(p.n_rows for p in self.pieces) - int(self.labeled.shape[0])

    def _all_blocks(self):
        """(global positions, ids, features) of every row, a block at a time."""
        for piece in self.pieces:
            start = piece.offset
            for batch in iter_piece(piece, self.spec, self.block_rows,
                                    use_threads=self.threads != 1):
                if batch.num_rows == 0:
                    continue
                ids, X = block_arrays(batch, self.spec, piece.name)
                pos = np.arange(start, start + X.shape[0], dtype=np.int64)
                start += X.shape[0]
                yield pos, ids, X

    def _candidate_blocks(self):
        """(global positions, ids, features) of the unlabeled rows, a block at a time (from
        the cache when it holds them)."""
        import pyarrow as pa

        if self._cache is not None:
            yield from self._cache
            return
        keep, size = ([] if self.cache_bytes > 0 else None), 0
        for pos, ids, X in self._all_blocks():
            lo, hi = np.searchsorted(self.labeled, [pos[0], pos[-1] + 1])
            if hi > lo:
                mask = np.ones(pos.shape[0], dtype=bool)
                mask[self.labeled[lo:hi] - pos[0]] = False
                pos, ids, X = pos[mask], ids.filter(pa.array(mask)), X[mask]
                if pos.shape[0] == 0:  # every row of the block is labeled (models refuse 0 rows)
                    continue
            if keep is not None:
                size += X.nbytes + pos.nbytes
                if size <= self.cache_bytes:
                    keep.append((pos, ids, X))
                else:
                    keep = None
            yield pos, ids, X
        if keep is not None:
            self._cache = keep

    def gather(self, positions: np.ndarray) -> np.ndarray:
        """Features of the rows at sorted global `positions` (all inside this worker's pieces)."""
        positions = np.asarray(positions, dtype=np.int64)
        out = np.empty((positions.shape[0], self._width()), dtype=self.spec.dtype)
        if positions.shape[0] == 0:
            return out
        for pos, _, X in self._all_blocks():
            lo, hi = np.searchsorted(positions, [pos[0], pos[-1] + 1])
            if hi > lo:
                out[lo:hi] = X[positions[lo:hi] - pos[0]]
            if hi == positions.shape[0]:
                break
        return out

    def _width(self) -> int:
        if self.spec.width > 0:
            return self.spec.width
        for _, _, X in self._all_blocks():
            return X.shape[1]
        return 0

    # ---- standardization statistics -----------------------------------------------------

    def column_sums(self) -> tuple[int, np.ndarray]:
        """(rows, Σ x per column in float64) over every row (labeled included, as `standardized`)."""
        n, total = 0, None
        for _, _, X in self._all_blocks():
            s = np.sum(X.astype(np.float32, copy=False), axis=0, dtype=np.float64)
            total = s if total is None else total + s
            n += X.shape[0]
        return n, total

    def deviation_sums(self, mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(Σ (x − mean), Σ (x − mean)²) per column in float64: scikit-learn's variance pass."""
        s1 = s2 = None
        for _, _, X in self._all_blocks():
            t = X.astype(np.float32, copy=False) - mean
            a, b = t.sum(axis=0), np.einsum("ij,ij->j", t, t)
            s1, s2 = (a, b) if s1 is None else (s1 + a, s2 + b)
        return s1, s2

    # ---- score-and-top-k --------------------------------------------------------------------

    def score_top(self, strategy, model, members, classes, random_state, k: int):
        """(positions, scores) of this worker's candidates scoring at or above its k-th best
        (ties kept), from `strategy.scores` on each block."""
        kept_pos, kept = np.empty(0, dtype=np.int64), np.empty(0)
        for pos, ids, X in self._candidate_blocks():
            ctx = _BlockContext(X=X, y=np.full(X.shape[0], UNLABELED), classes=classes,
                                model=model, random_state=random_state, threads=self.threads)
            ctx.members = members
            scores = np.asarray(strategy.scores(ctx), dtype=np.float64)
            if np.isnan(scores).any():
                bad = ids[int(np.flatnonzero(np.isnan(scores))[0])]
                raise InvalidInputError(
                    f"scores contain NaN (first at id {bad}); the model produced invalid "
                    "probabilities for some candidates.")
            kept_pos, kept = _keep_top(np.concatenate([kept_pos, pos]),
                                       np.concatenate([kept, scores]), k)
        return kept_pos, kept

    # ---- k-center greedy (core-set) ---------------------------------------------------------

    def kc_init(self, featurize: Featurizer, centers: np.ndarray | None, head_size: int):
        """Each candidate's squared distance to its nearest labeled row (`centers`, already
        featurized; None: +inf), then the head; returns the summary the driver needs."""
        self.kc_feat, self.kc_m = featurize, int(head_size)
        self.kc_centers: list[np.ndarray] = []
        self.kc_synced = 0
        pos_parts, d_parts = [], []
        for pos, _, X in self._candidate_blocks():
            F = featurize(X)
            d = (min_sq_dist(F, centers) if centers is not None and centers.shape[0]
                 else np.full(F.shape[0], np.inf, dtype=F.dtype))
            pos_parts.append(pos)
            d_parts.append(d)
        self.kc_pos = np.concatenate(pos_parts) if pos_parts else np.empty(0, dtype=np.int64)
        self.kc_d = np.concatenate(d_parts) if d_parts else np.empty(0, dtype=np.float32)
        self._kc_rebuild_head()
        return self._kc_summary()

    def _kc_rebuild_head(self) -> None:
        """The head: this worker's `kc_m` farthest candidates (value desc, position asc), with
        their features, gathered in one pass (or from the cache)."""
        self.kc_head, self.kc_out_v, out_i = _head(self.kc_d, self.kc_m)
        self.kc_out_p = (int(self.kc_pos[out_i]) if out_i < self.kc_pos.shape[0]
                         else np.iinfo(np.int64).max)
        want = self.kc_pos[self.kc_head]
        H = None
        for pos, _, X in self._candidate_blocks():
            lo, hi = np.searchsorted(want, [pos[0], pos[-1] + 1])
            if hi > lo:
                rows = np.searchsorted(pos, want[lo:hi])
                F = self.kc_feat(X[rows])
                if H is None:
                    H = np.empty((want.shape[0], F.shape[1]), dtype=F.dtype)
                H[lo:hi] = F
        self.kc_H = H if H is not None else np.empty((0, 1), dtype=np.float32)
        self.kc_Hn = sq_norms(self.kc_H)

    def _kc_summary(self):
        """(best head value, its position, its feature vector, outside bound value, position)."""
        v, p, i = _best_key(self.kc_d[self.kc_head], self.kc_pos[self.kc_head])
        vec = self.kc_H[i].copy() if i >= 0 else None
        return v, p, vec, float(self.kc_out_v), int(self.kc_out_p)

    def kc_add(self, center: np.ndarray, position: int):
        """A new center (chosen at global `position`): update the head, mark the row chosen."""
        self.kc_centers.append(np.asarray(center))
        h = self.kc_head
        if h.shape[0]:
            self.kc_d[h] = np.minimum(self.kc_d[h], sq_dist_to(self.kc_H, self.kc_Hn, self.kc_centers[-1]))
        i = np.searchsorted(self.kc_pos, position)
        if i < self.kc_pos.shape[0] and self.kc_pos[i] == position:
            self.kc_d[i] = -1  # chosen: never the farthest again, even when every distance is 0
        return self._kc_summary()

    def kc_sync(self):
        """Bring every candidate's distance up to date with the centers added since the last
        sync (one pass), then rebuild the head."""
        new = np.asarray(self.kc_centers[self.kc_synced:])
        if new.shape[0]:
            start = 0
            for _, _, X in self._candidate_blocks():
                F = self.kc_feat(X)
                seg = self.kc_d[start:start + F.shape[0]]
                np.minimum(seg, min_sq_dist(F, new.astype(F.dtype)), out=seg)
                start += F.shape[0]
        self.kc_synced = len(self.kc_centers)
        self._kc_rebuild_head()
        return self._kc_summary()

    def kc_vector(self, position: int) -> np.ndarray:
        """The featurized row at global `position` (a candidate of this worker)."""
        for pos, _, X in self._candidate_blocks():
            i = np.searchsorted(pos, position)
            if i < pos.shape[0] and pos[i] == position:
                return self.kc_feat(X[i:i + 1])[0]
        raise InvalidInputError(f"row {position} is not a candidate of this worker.")

    # ---- BADGE: k-means++ seeding on gradient embeddings --------------------------------------

    def bg_init(self, model):
        """Gradient factors a = p − e_ŷ and last-layer inputs h of every candidate, kept in
        memory; returns (largest ‖g‖², positions attaining it)."""
        pos_parts, a_parts, h_parts = [], [], []
        for pos, _, X in self._candidate_blocks():
            pos_parts.append(pos)
            a_parts.append(gradient_factors(model.predict_proba(X)))
            h_parts.append(_as_real(model.last_layer_input(X)))
        if not pos_parts:  # every row of this worker is labeled
            self.bg_pos, self.bg_a = np.empty(0, dtype=np.int64), np.empty((0, 1))
            self.bg_h = np.empty((0, 1), dtype=np.float32)
            self.bg_sq, self.bg_min = np.empty(0), np.empty(0)
            return -np.inf, self.bg_pos
        self.bg_pos = np.concatenate(pos_parts)
        self.bg_a = np.ascontiguousarray(np.concatenate(a_parts))
        self.bg_h = _as_real(np.concatenate(h_parts))
        self.bg_sq = gradient_sq_norms(self.bg_a, self.bg_h)
        self.bg_min = np.full(self.bg_pos.shape[0], np.inf)
        top = float(self.bg_sq.max()) if self.bg_sq.shape[0] else -np.inf
        return top, self.bg_pos[self.bg_sq == top]

    def bg_center(self, position: int):
        """(a_j, h_j as float64, ‖g_j‖²) of the candidate at global `position`."""
        i = int(np.searchsorted(self.bg_pos, position))
        return self.bg_a[i].copy(), self.bg_h[i].astype(np.float64), float(self.bg_sq[i])

    def bg_update(self, a_j: np.ndarray, h_j: np.ndarray, sq_j: float, position: int) -> None:
        """min D² ← min(D², ‖g_x − g_j‖²) (the in-memory seeding's arithmetic, in place)."""
        if self.bg_pos.shape[0] == 0:
            return
        d2 = self.bg_a @ a_j
        d2 *= _rows_dot(self.bg_h, h_j)
        d2 *= -2.0
        d2 += self.bg_sq
        d2 += sq_j
        np.minimum(self.bg_min, d2, out=self.bg_min)
        np.maximum(self.bg_min, 0.0, out=self.bg_min)
        i = int(np.searchsorted(self.bg_pos, position))
        if i < self.bg_pos.shape[0] and self.bg_pos[i] == position:
            self.bg_min[i] = 0.0

    def bg_cumsum_end(self, prefix: float) -> float:
        """The running sum of D² after this worker's rows, continuing from `prefix`: chained over
        the workers in order it is bit for bit the in-memory cumulative sum."""
        if self.bg_min.shape[0] == 0:
            return prefix
        return float(np.cumsum(np.concatenate([[prefix], self.bg_min]))[-1])

    def bg_find(self, u: float, prefix: float):
        """The first of this worker's rows whose running D² sum (from `prefix`) exceeds u:
        (its global position, its center vectors), or None when none does."""
        cdf = np.cumsum(np.concatenate([[prefix], self.bg_min]))[1:]
        j = int(np.searchsorted(cdf, u, side="right"))
        if j >= cdf.shape[0]:
            return None
        return int(self.bg_pos[j]), self.bg_center(int(self.bg_pos[j]))

    def bg_last_nonzero(self) -> int:
        """Global position of this worker's last row with D² > 0 (−1 when none)."""
        nz = np.flatnonzero(self.bg_min)
        return int(self.bg_pos[nz[-1]]) if nz.shape[0] else -1

    # ---- k-means (Lloyd) for kmeans and TypiClust -------------------------------------------

    def _rows(self, which: str):
        return self._candidate_blocks() if which == "candidates" else self._all_blocks()

    def km_stats(self, featurize: Featurizer, centers: np.ndarray, which: str, keep: bool = False):
        """One Lloyd pass over this worker's rows (`which`: "candidates" or "all"): per center
        (Σ features in float64, count), and the inertia. With `keep`, each row's cluster and
        distance are stored for `km_best`, `km_available`, `km_sample`, `km_labels_of`."""
        k = centers.shape[0]
        sums, counts, inertia = None, np.zeros(k, dtype=np.int64), 0.0
        keep_pos, keep_lab, keep_d = [], [], []
        for pos, _, X in self._rows(which):
            F = featurize(X)
            lab, d = nearest_center(F, centers.astype(F.dtype))
            if sums is None:
                sums = np.zeros((k, F.shape[1]))
            # Σ per cluster as one sparse (k × rows) product (np.add.at is unbuffered and slow)
            onehot = sp.csr_matrix((np.ones(lab.shape[0]), (lab, np.arange(lab.shape[0]))),
                                   shape=(k, lab.shape[0]))
            sums += onehot @ F.astype(np.float64)
            counts += np.bincount(lab, minlength=k)
            inertia += float(d.sum(dtype=np.float64))
            if keep:
                keep_pos.append(pos)
                keep_lab.append(lab.astype(np.int32))
                keep_d.append(np.sqrt(d.astype(np.float64)))
        if keep:
            self.km_pos = np.concatenate(keep_pos) if keep_pos else np.empty(0, dtype=np.int64)
            self.km_lab = np.concatenate(keep_lab) if keep_lab else np.empty(0, dtype=np.int32)
            self.km_d = np.concatenate(keep_d) if keep_d else np.empty(0)
            self.km_k = k
        return sums, counts, inertia

    def km_best(self):
        """Per cluster, this worker's row closest to its center: (distance (k,), position (k,)),
        +inf / −1 for clusters with no row here (ties → lowest position)."""
        k = self.km_k
        best_d, best_p = np.full(k, np.inf), np.full(k, -1, dtype=np.int64)
        if self.km_pos.shape[0]:
            order = np.lexsort((self.km_pos, self.km_d, self.km_lab))
            lab = self.km_lab[order]
            first = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]])
            best_d[lab[first]] = self.km_d[order[first]]
            best_p[lab[first]] = self.km_pos[order[first]]
        return best_d, best_p

    def km_labels_of(self, positions: np.ndarray) -> np.ndarray:
        """Clusters of the rows at sorted global `positions` (rows kept by `km_stats`)."""
        i = np.searchsorted(self.km_pos, np.asarray(positions, dtype=np.int64))
        return self.km_lab[i].astype(np.intp)

    def km_available(self) -> np.ndarray:
        """Unlabeled rows of this worker per cluster, shape (k,)."""
        free = ~np.isin(self.km_pos, self.labeled)
        return np.bincount(self.km_lab[free], minlength=self.km_k)

    def km_sample(self, shares: dict, seed: int) -> np.ndarray:
        """For each cluster c, `shares[c]` of this worker's unlabeled rows of c drawn without
        replacement (rng seeded by `seed` and c); their sorted global positions."""
        free = ~np.isin(self.km_pos, self.labeled)
        out = []
        for c, m in shares.items():
            if m <= 0:
                continue
            rows = self.km_pos[free & (self.km_lab == c)]
            gen = np.random.default_rng([int(seed), int(c)])
            out.append(rows if m >= rows.shape[0] else gen.choice(rows, size=int(m), replace=False))
        return np.sort(np.concatenate(out)) if out else np.empty(0, dtype=np.int64)
