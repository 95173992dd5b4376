"""Per-strategy summary of saved runs: AUC over seeds, final accuracy, labels to 95 % of the
full-pool accuracy, the paired comparison with a baseline strategy, and (runs with a monitor)
the accuracy estimate's interval coverage and what each stopping rule saved and cost."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .metrics import labels_to_reach, learning_curve_auc, paired_difference

TARGET_FRACTION = 0.95
#: The estimate's coverage is counted from this many labels on (the issue's bar).
COVERAGE_FROM_LABELS = 50


def summarize(runs: list[dict], baseline: str | None = "random") -> dict:
    """Mapping strategy → summary numbers (see README, 'results.json')."""
    by_strategy: dict[str, list[dict]] = defaultdict(list)
    for r in runs:
        by_strategy[r["strategy"]].append(r)
    aucs = {s: {r["seed"]: learning_curve_auc(r["labels"], r["accuracy"]) for r in rs}
            for s, rs in by_strategy.items()}
    summary = {}
    for s, rs in by_strategy.items():
        auc = np.array(list(aucs[s].values()))
        final = np.array([r["accuracy"][-1] for r in rs])
        n = auc.size
        entry = {
            "n_seeds": n,
            "auc_mean": float(auc.mean()),
            "auc_std": float(auc.std(ddof=1)) if n > 1 else 0.0,
            "auc_sem": float(auc.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0,
            "final_accuracy_mean": float(final.mean()),
            "final_accuracy_std": float(final.std(ddof=1)) if n > 1 else 0.0,
            "final_f1_mean": float(np.mean([r["f1"][-1] for r in rs])),
            "labels_to_95": _labels_to_target(rs),
            "select_seconds_mean": float(np.mean([np.mean(r["select_seconds"][1:] or [0.0]) for r in rs])),
            "fit_seconds_mean": float(np.mean([np.mean(r["fit_seconds"]) for r in rs])),
        }
        if any("estimated_accuracy" in r for r in rs):
            entry.update(estimate_coverage(rs))
            entry["stopping"] = stopping_outcomes(rs)
        if baseline in aucs and s != baseline:
            seeds = sorted(set(aucs[s]) & set(aucs[baseline]))
            if seeds:
                diff, se = paired_difference([aucs[s][k] for k in seeds],
                                             [aucs[baseline][k] for k in seeds])
                entry[f"auc_minus_{baseline}"] = diff
                entry[f"auc_minus_{baseline}_se"] = se
                entry[f"beats_{baseline}"] = bool(np.isfinite(se) and diff > 2 * se)
        summary[s] = entry
    return summary


def _labels_to_target(runs: list[dict]) -> int | None:
    """Labels at which the seed-averaged accuracy first reaches 95 % of the seed-averaged
    full-pool accuracy (runs of one strategy share the label grid); None if never."""
    grids = {tuple(r["labels"]) for r in runs}
    if len(grids) != 1:
        return None
    mean_acc = np.mean([r["accuracy"] for r in runs], axis=0)
    target = TARGET_FRACTION * float(np.mean([r["full_pool_accuracy"] for r in runs]))
    return labels_to_reach(runs[0]["labels"], mean_acc, target)


def _covered(runs: list[dict], min_labels: int):
    """(covered, estimate − truth) for every round with an interval and ≥ min_labels labels."""
    hits, errors = [], []
    for r in runs:
        for n, acc, est, ci in zip(r["labels"], r["accuracy"], r.get("estimated_accuracy", []),
                                   r.get("estimated_accuracy_ci", []), strict=False):
            if n >= min_labels and est is not None and ci is not None:
                hits.append(ci[0] <= acc <= ci[1])
                errors.append(est - acc)
    return np.array(hits, dtype=bool), np.array(errors, dtype=float)


def estimate_coverage(runs: list[dict], min_labels: int = COVERAGE_FROM_LABELS) -> dict:
    """How often the estimate's 90 % interval held the test accuracy, in rounds with at least
    `min_labels` labels: ``estimate_coverage`` (fraction, None without rounds),
    ``estimate_rounds``, ``estimate_bias`` (mean estimate − test accuracy) and
    ``estimate_mae``."""
    hits, errors = _covered(runs, min_labels)
    if hits.size == 0:
        return {"estimate_coverage": None, "estimate_rounds": 0, "estimate_bias": None,
                "estimate_mae": None}
    return {"estimate_coverage": float(hits.mean()), "estimate_rounds": int(hits.size),
            "estimate_bias": float(errors.mean()), "estimate_mae": float(np.abs(errors).mean())}


def stopping_outcomes(runs: list[dict]) -> dict:
    """Per stopping rule, against labeling the full budget: in how many runs it fired, the mean
    label count where it did, and over all runs the mean labels saved and test accuracy lost
    (both 0 in a run where it never fired), plus the worst loss."""
    rules: list[str] = []
    for r in runs:
        rules += [k for k in r.get("stopping", {}) if k not in rules]
    out = {}
    for rule in rules:
        saved, lost, at = [], [], []
        for r in runs:
            n_stop = r.get("stopping", {}).get(rule)
            if n_stop is None or n_stop not in r["labels"]:
                saved.append(0)
                lost.append(0.0)
                continue
            i = r["labels"].index(n_stop)
            at.append(n_stop)
            saved.append(r["labels"][-1] - n_stop)
            lost.append(r["accuracy"][-1] - r["accuracy"][i])
        out[rule] = {
            "fired": len(at), "runs": len(runs),
            "labels_at_stop_mean": float(np.mean(at)) if at else None,
            "labels_saved_mean": float(np.mean(saved)),
            "accuracy_lost_mean": float(np.mean(lost)),
            "accuracy_lost_max": float(np.max(lost)),
        }
    return out
