"""Learning-curve summaries: normalized area under the curve and labels to reach a target."""

from __future__ import annotations

import numpy as np


def learning_curve_auc(labels, scores) -> float:
    """Area under score-vs-labels by the trapezoid rule, divided by the label range.

    The result is on the score's scale (a mean accuracy over the budget), so curves with the
    same label grid compare directly. A single point returns that point.
    """
    x = np.asarray(labels, dtype=float)
    s = np.asarray(scores, dtype=float)
    if x.shape != s.shape or x.ndim != 1 or x.size == 0:
        raise ValueError("labels and scores must be 1-D, same length, non-empty")
    if x.size == 1 or x[-1] == x[0]:
        return float(s.mean())
    return float(np.trapezoid(s, x) / (x[-1] - x[0]))


def labels_to_reach(labels, scores, target: float) -> int | None:
    """The first label count at which `scores` reaches `target`, or None if it never does."""
    s = np.asarray(scores, dtype=float)
    hit = np.flatnonzero(s >= target)
    return int(np.asarray(labels)[hit[0]]) if hit.size else None


def paired_difference(a, b) -> tuple[float, float]:
    """Mean and standard error of the paired differences a − b (over seeds)."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if d.size < 2:
        return float(d.mean()) if d.size else float("nan"), float("nan")
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size))
