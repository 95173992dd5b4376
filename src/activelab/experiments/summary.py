"""Per-strategy summary of saved runs: AUC over seeds, final accuracy, labels to 95 % of the
full-pool accuracy, and the paired comparison with a baseline strategy."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .metrics import labels_to_reach, learning_curve_auc, paired_difference

TARGET_FRACTION = 0.95


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
