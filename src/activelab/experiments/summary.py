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


def primary_metric(run: dict) -> str:
    """The curve a run is compared on: its task's primary metric (accuracy for classification
    runs, which predate the field)."""
    return run.get("primary_metric", "accuracy")


def curve_x(run: dict) -> list:
    """The x axis of a run's curves: labels after each round, or items seen (streams)."""
    return run.get("x", run["labels"])


def summarize(runs: list[dict], baseline: str | None = "random") -> dict:
    """Mapping strategy → summary numbers (see README, 'results.json'). AUC, final values and
    the paired comparison use each run's primary metric (higher is better in every task)."""
    by_strategy: dict[str, list[dict]] = defaultdict(list)
    for r in runs:
        by_strategy[r["strategy"]].append(r)
    aucs = {s: {r["seed"]: learning_curve_auc(curve_x(r), r[primary_metric(r)]) for r in rs}
            for s, rs in by_strategy.items()}
    summary = {}
    for s, rs in by_strategy.items():
        auc = np.array(list(aucs[s].values()))
        metric = primary_metric(rs[0])
        final = np.array([r[metric][-1] for r in rs])
        n = auc.size
        entry = {
            "n_seeds": n,
            "metric": metric,
            "auc_mean": float(auc.mean()),
            "auc_std": float(auc.std(ddof=1)) if n > 1 else 0.0,
            "auc_sem": float(auc.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0,
            "final_mean": float(final.mean()),
            "final_std": float(final.std(ddof=1)) if n > 1 else 0.0,
            "labels_to_95": _labels_to_target(rs),
            "select_seconds_mean": float(np.mean([np.mean(r["select_seconds"][1:] or [0.0]) for r in rs])),
            "fit_seconds_mean": float(np.mean([np.mean(r["fit_seconds"]) for r in rs])),
        }
        if metric == "accuracy" and "f1" in rs[0]:  # classification: the keys of schema 2
            entry["final_accuracy_mean"] = entry["final_mean"]
            entry["final_accuracy_std"] = entry["final_std"]
            entry["final_f1_mean"] = float(np.mean([r["f1"][-1] for r in rs]))
        for m in rs[0].get("metric_names", []):
            entry[f"final_{m}_mean"] = float(np.mean([r[m][-1] for r in rs]))
            entry[f"auc_{m}_mean"] = float(np.mean([learning_curve_auc(curve_x(r), r[m])
                                                    for r in rs]))
        if "x" in rs[0]:  # streams: the labels each run actually spent
            entry["labels_spent_mean"] = float(np.mean([r["labels"][-1] for r in rs]))
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
    """Labels at which the seed-averaged primary metric first reaches 95 % of its seed-averaged
    full-pool value (runs of one strategy share the label grid); None if never, for streams
    (no full-pool model) and when the full-pool value is not positive."""
    metric = primary_metric(runs[0])
    key = f"full_pool_{metric}"
    grids = {tuple(r["labels"]) for r in runs}
    if len(grids) != 1 or "x" in runs[0] or any(key not in r for r in runs):
        return None
    full = float(np.mean([r[key] for r in runs]))
    if not full > 0:
        return None
    mean_curve = np.mean([r[metric] for r in runs], axis=0)
    return labels_to_reach(runs[0]["labels"], mean_curve, TARGET_FRACTION * full)


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
