"""Inter-annotator agreement, in numpy: Cohen's kappa for two annotators, Fleiss' kappa and
Krippendorff's alpha (nominal) for any number, the pairs of labels annotators gave one item.

The measures take integer label codes (0 … n_classes − 1). An item's labels are summarized by
`counts`, an array of shape (n_items, n_classes): how many annotators gave the item each label.

    cohen_kappa(a, b, n_classes)     κ = (p_o − p_e) / (1 − p_e), two raters on the same items
    fleiss_kappa(counts)             every item rated by the same number m ≥ 2 of raters
    krippendorff_alpha(counts)       α = 1 − D_o / D_e from the coincidence matrix; any number
                                     of labels per item (items with fewer than two are left out)
    pair_counts(counts)              P[c, k]: pairs of labels of one item that are c and k
                                     (symmetric; the diagonal counts agreeing pairs)

Each returns None where the measure is undefined (no pairs; a chance agreement of 1, when every
label is the same one). `summarize` reports all of them for the service's items.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

__all__ = [
    "cohen_kappa",
    "coincidences",
    "fleiss_kappa",
    "krippendorff_alpha",
    "pair_counts",
    "summarize",
]


def _codes(values, n_classes: int) -> np.ndarray:
    arr = np.asarray(values, dtype=np.int64).ravel()
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        raise ValueError(f"label codes must be in [0, {n_classes}); got {arr.min()}..{arr.max()}.")
    return arr


def _counts(counts) -> np.ndarray:
    arr = np.asarray(counts, dtype=np.float64)
    if arr.ndim != 2 or (arr < 0).any():
        raise ValueError("counts must be an array of shape (n_items, n_classes), non-negative.")
    return arr


def cohen_kappa(a, b, n_classes: int) -> float | None:
    """Cohen's kappa of two raters' labels `a`, `b` (array-like of shape (n_items,)) of the
    same items."""
    a, b = _codes(a, n_classes), _codes(b, n_classes)
    if a.shape != b.shape:
        raise ValueError(f"a and b must label the same items; got {a.shape[0]} and {b.shape[0]}.")
    n = a.shape[0]
    if n == 0:
        return None
    table = np.zeros((n_classes, n_classes))
    np.add.at(table, (a, b), 1.0)
    p_o = np.trace(table) / n
    p_e = float(table.sum(axis=1) @ table.sum(axis=0)) / n ** 2
    return None if p_e >= 1.0 else float((p_o - p_e) / (1.0 - p_e))


def fleiss_kappa(counts) -> float | None:
    """Fleiss' kappa; every row of `counts` must sum to the same number of raters m ≥ 2."""
    counts = _counts(counts)
    if counts.shape[0] == 0:
        return None
    m = counts.sum(axis=1)
    if not np.all(m == m[0]) or m[0] < 2:
        raise ValueError("Fleiss' kappa needs the same number (two or more) of labels per item.")
    m = m[0]
    p_j = counts.sum(axis=0) / counts.sum()
    p_i = ((counts ** 2).sum(axis=1) - m) / (m * (m - 1))
    p_bar, p_e = p_i.mean(), float(p_j @ p_j)
    return None if p_e >= 1.0 else float((p_bar - p_e) / (1.0 - p_e))


def coincidences(counts) -> np.ndarray:
    """Krippendorff's coincidence matrix o (n_classes, n_classes): within each item of m ≥ 2
    labels, every ordered pair of two different labels' values, weighted 1 / (m − 1)."""
    counts = _counts(counts)
    m = counts.sum(axis=1)
    counts, m = counts[m >= 2], m[m >= 2]
    weighted = counts / (m - 1)[:, None]
    return weighted.T @ counts - np.diag(weighted.sum(axis=0))


def krippendorff_alpha(counts) -> float | None:
    """Krippendorff's alpha for nominal labels: 1 − (n − 1) · Σ_{c≠k} o_ck / Σ_{c≠k} n_c n_k."""
    o = coincidences(counts)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    expected = n ** 2 - float(n_c @ n_c)
    if n < 2 or expected <= 0:
        return None
    return float(1.0 - (n - 1) * (n - np.trace(o)) / expected)


def pair_counts(counts) -> np.ndarray:
    """P (n_classes, n_classes): over the items, the unordered pairs of two annotators' labels
    that are c and k — P[c, k] = P[k, c] = Σ n_c n_k for c ≠ k, P[c, c] = Σ n_c (n_c − 1) / 2."""
    counts = _counts(counts)
    both = counts.T @ counts
    np.fill_diagonal(both, (counts * (counts - 1)).sum(axis=0) / 2)
    return both


def summarize(item_votes: list[dict[int, int]], n_classes: int) -> dict:
    """The agreement over items labeled by two or more annotators.

    `item_votes`: for each item, annotator id → label code. Returns (ids and codes, for the
    caller to name): ``items``, ``pairs``, ``observed``, ``krippendorff_alpha``,
    ``fleiss_kappa`` (None unless every item has the same number of labels; ``note`` says why),
    ``per_pair`` [(a, b, items, observed, kappa)], ``per_label`` [(code, pairs, agreement)] and
    ``pair_counts`` (`pair_counts`)."""
    multi = [votes for votes in item_votes if len(votes) >= 2]
    counts = np.zeros((len(multi), n_classes))
    for row, votes in enumerate(multi):
        for code in votes.values():
            counts[row, code] += 1
    pairs = pair_counts(counts)
    n_pairs = int(np.rint(np.triu(pairs).sum()))
    sizes = {len(votes) for votes in multi}
    note = ""
    fleiss = None
    if len(sizes) == 1:
        fleiss = fleiss_kappa(counts)
    elif multi:
        note = ("Fleiss' kappa needs the same number of labels on every item; these items have "
                f"{min(sizes)} to {max(sizes)}: see Krippendorff's alpha.")
    per_pair = []
    for a, b in sorted({pair for votes in multi for pair in combinations(sorted(votes), 2)}):
        shared = [(votes[a], votes[b]) for votes in multi if a in votes and b in votes]
        x, y = np.array(shared).T
        per_pair.append((a, b, len(shared), float(np.mean(x == y)), cohen_kappa(x, y, n_classes)))
    per_label = []
    for c in range(n_classes):
        involving = float(pairs[c].sum())  # pairs with c on one side (c-c counted once)
        per_label.append((c, int(np.rint(involving)),
                          float(pairs[c, c] / involving) if involving else None))
    return {
        "items": len(multi), "pairs": n_pairs,
        "observed": float(np.trace(pairs) / n_pairs) if n_pairs else None,
        "krippendorff_alpha": krippendorff_alpha(counts) if multi else None,
        "fleiss_kappa": fleiss, "note": note, "per_pair": per_pair, "per_label": per_label,
        "pair_counts": pairs,
    }
