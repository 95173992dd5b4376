"""BADGE (hybrid): k-means++ seeding in the space of last-layer gradient embeddings.

The loss gradient of the final linear layer at the hypothetical label ŷ = argmax p is
``g_x = (p_x − e_ŷ) ⊗ h_x`` (an outer product; ``h_x`` is what that layer sees). Its norm grows
with the model's uncertainty and its direction encodes what the point would teach, so k-means++
seeding on ``g`` picks points that are both uncertain and diverse.

The embedding has ``n_classes · n_dims`` columns and is never built: with ``a = p − e`` we use
``‖g_x‖² = ‖a_x‖²‖h_x‖²`` and ``⟨g_x, g_c⟩ = ⟨a_x, a_c⟩⟨h_x, h_c⟩``, so one seeding step costs
O(n · (n_classes + n_dims)) and memory stays O(n · (n_classes + n_dims)). A float32 ``h`` (what
model adapters return) is kept as it is and cast to float64 a cache-sized block of rows at a time
for each product: same float64 results as a full copy, without the copy (4 GiB at 10⁶ × 512).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .._errors import InvalidInputError
from ._base import Selection, Strategy
from ._context import PoolContext
from ._registry import register


def gradient_factors(proba: np.ndarray) -> np.ndarray:
    """``a = p − onehot(argmax p)``, shape (n, n_classes): the class factor of the gradient embedding.

    The gradient of the cross-entropy loss at label ŷ with respect to the last layer's weights is
    ``a ⊗ h`` (the reference code uses ``−a``; the sign changes no distance).
    """
    proba = np.asarray(proba, dtype=np.float64)
    a = proba.copy()
    a[np.arange(a.shape[0]), proba.argmax(axis=1)] -= 1.0
    return a


_CAST_BYTES = 4 << 20  # float64 rows cast per block of `_rows_dot`


def _rows_dot(h: np.ndarray, v: np.ndarray | None = None) -> np.ndarray:
    """``h @ v`` (or each row's squared norm when v is None) in float64, shape (n,).

    A float64 h is used directly; any other dtype is cast block by block, so the results equal
    those of ``h.astype(float64)`` without holding that copy.
    """
    n, d = h.shape
    if h.dtype == np.float64:
        return h @ v if v is not None else np.einsum("ij,ij->i", h, h)
    out = np.empty(n)
    size = max(1, _CAST_BYTES // (8 * max(d, 1)))
    buf = np.empty((min(n, size), d))
    for start in range(0, n, size):
        block = buf[: min(size, n - start)]
        block[...] = h[start:start + size]
        rows = out[start:start + block.shape[0]]
        if v is None:
            np.einsum("ij,ij->i", block, block, out=rows)
        else:
            np.matmul(block, v, out=rows)
    return out


def _as_real(h: np.ndarray) -> np.ndarray:
    """h as a C-contiguous float32 or float64 array (float32 kept: `_rows_dot` casts blocks)."""
    dtype = np.float32 if np.asarray(h).dtype == np.float32 else np.float64
    return np.ascontiguousarray(h, dtype=dtype)


def gradient_sq_norms(a: np.ndarray, h: np.ndarray) -> np.ndarray:
    """``‖a_x ⊗ h_x‖² = ‖a_x‖² · ‖h_x‖²`` for every row, shape (n,)."""
    return np.einsum("ij,ij->i", a, a) * _rows_dot(_as_real(h))


def gradient_sq_distances(
    a: np.ndarray, h: np.ndarray, j: int, sq_norms: np.ndarray | None = None
) -> np.ndarray:
    """Squared distances ``‖g_x − g_j‖²`` from every row x to row j, shape (n,), without
    building the (n, n_classes · n_dims) embedding. Clipped at 0 against rounding."""
    h = _as_real(h)
    if sq_norms is None:
        sq_norms = gradient_sq_norms(a, h)
    cross = (a @ a[j]) * _rows_dot(h, h[j].astype(np.float64))
    d2 = sq_norms + sq_norms[j] - 2.0 * cross
    np.maximum(d2, 0.0, out=d2)
    d2[j] = 0.0
    return d2


def iter_kmeanspp(
    a: np.ndarray, h: np.ndarray, k: int, rng: np.random.Generator
) -> Iterator[tuple[int, np.ndarray | None]]:
    """k-means++ seeding on the gradient embeddings ``a_x ⊗ h_x``, one center at a time.

    Yields ``(position, probabilities)``: the first center is the row with the largest gradient
    norm (ties at random) and comes with ``None``, as in Ash et al.'s reference code; every later
    center is drawn with probability proportional to its squared distance to the nearest chosen
    center (D² sampling), and comes with that distribution, shape (n,). When every unchosen row
    coincides with a chosen center (all D² = 0), the draw is uniform over the unchosen rows.
    """
    a = np.ascontiguousarray(a, dtype=np.float64)
    h = _as_real(h)
    n = a.shape[0]
    sq_norms = gradient_sq_norms(a, h)
    chosen = np.zeros(n, dtype=bool)
    top = np.flatnonzero(sq_norms == sq_norms.max())
    j = int(top[0] if top.shape[0] == 1 else rng.choice(top))
    min_d2 = np.full(n, np.inf)
    for step in range(k):
        if step > 0:
            cdf = np.cumsum(min_d2)
            total = cdf[-1]
            if total > 0.0 and np.isfinite(total):
                # inverse-CDF draw; a zero weight never raises the CDF, so it is never drawn
                j = int(np.searchsorted(cdf, rng.random() * total, side="right"))
                if j >= n or min_d2[j] == 0.0:  # u rounded up to the total
                    j = int(np.flatnonzero(min_d2)[-1])
                probs = min_d2 / total
            else:
                probs = (~chosen).astype(np.float64) / (n - step)
                j = int(rng.choice(n, p=probs))
            yield j, probs
        else:
            yield j, None
        chosen[j] = True
        # in place: ‖g_x‖² + ‖g_j‖² − 2⟨a_x, a_j⟩⟨h_x, h_j⟩ (see gradient_sq_distances)
        d2 = a @ a[j]
        d2 *= _rows_dot(h, h[j].astype(np.float64))
        d2 *= -2.0
        d2 += sq_norms
        d2 += sq_norms[j]
        np.minimum(min_d2, d2, out=min_d2)
        np.maximum(min_d2, 0.0, out=min_d2)
        min_d2[j] = 0.0


def kmeanspp_seeding(a: np.ndarray, h: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of k distinct k-means++ centers on the gradient embeddings, in seeding order.

    See `iter_kmeanspp`. `a` is (n, n_classes) from `gradient_factors`, `h` is (n, n_dims).
    """
    if not 0 < k <= a.shape[0]:
        raise InvalidInputError(f"k must be between 1 and the number of rows ({a.shape[0]}); got {k}.")
    return np.fromiter((j for j, _ in iter_kmeanspp(a, h, k, rng)), dtype=np.intp, count=k)


@register
class BADGE(Strategy):
    """BADGE: k-means++ seeding on last-layer gradient embeddings (uncertain and diverse batches).

    Ash, Zhang, Krishnamurthy, Langford & Agarwal 2020, "Deep Batch Active Learning by Diverse,
    Uncertain Gradient Lower Bounds" (ICLR). ``h`` is `PoolContext.last_layer_input` (the model's `last_layer_input`): the
    (pipeline-transformed) inputs of a linear model, the last hidden layer of an MLP.

    The reported scores are the gradient-embedding norms ``‖g_x‖`` (the uncertainty half of the
    trade-off); the batch itself is the seeding, in seeding order, not the top scores.
    """

    name = "badge"
    family = "hybrid"
    reference = (
        "Ash et al. 2020, Deep Batch Active Learning by Diverse, Uncertain Gradient Lower "
        "Bounds (ICLR)"
    )

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        cand = ctx.candidate_idx
        a = gradient_factors(ctx.proba(self.name))
        h = _as_real(ctx.last_layer_input(self.name))
        pos = kmeanspp_seeding(a, h, batch_size, rng)
        scores = np.sqrt(gradient_sq_norms(a, h))
        return Selection(idx=cand[pos], scores=scores, candidate_idx=cand)
