"""Issue 14: does the accuracy estimate's 90 % interval hold the test accuracy (bar: in ≥ 85 % of
rounds with at least 50 labels), and what does each stopping rule save and cost?

Runs `activelab run`'s runner (logistic regression, 20 random seed labels, batches of 10) on
several bundled datasets × strategies × seeds, then writes one small summary:
benchmarks/results/stopping.json (coverage per dataset and strategy, stopping outcomes) and
benchmarks/results/stopping.md (the tables). Runs resume from benchmarks/.data/stopping/.

    python benchmarks/stopping.py [--datasets digits,wine] [--strategies random,margin] \
        [--seeds 0-4] [--jobs 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA, RESULTS, write_json

WORK = DATA / "stopping"
DATASETS = ("digits", "breast_cancer", "wine", "synthetic_hard", "synthetic_imbalanced")
STRATEGIES = ("random", "margin", "entropy", "coreset", "badge")
ROUNDS = {"wine": 10}  # wine's pool has 133 rows


def main(argv=None) -> int:
    from activelab.experiments.runner import (
        ExperimentConfig,
        parse_seeds,
        run_experiment,
    )
    from activelab.experiments.summary import estimate_coverage, stopping_outcomes

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--strategies", default=",".join(STRATEGIES))
    ap.add_argument("--seeds", default="0-4")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    strategies = tuple(args.strategies.split(","))
    all_runs, per_dataset = [], {}
    t0 = time.perf_counter()
    for ds in args.datasets.split(","):
        config = ExperimentConfig(dataset=ds, model="logreg", initial=20, batch_size=10,
                                  rounds=ROUNDS.get(ds, 20), strategies=strategies,
                                  seeds=parse_seeds(args.seeds))
        res = run_experiment(config, WORK / ds, jobs=args.jobs)
        runs = [r for r in res["runs"] if "estimated_accuracy" in r]
        all_runs += runs
        per_dataset[ds] = {
            "overall": {**estimate_coverage(runs), "n_runs": len(runs)},
            "by_strategy": {s: estimate_coverage([r for r in runs if r["strategy"] == s])
                            for s in strategies},
            "stopping": stopping_outcomes(runs),
        }
        print(ds, per_dataset[ds]["overall"], flush=True)
    summary = {
        "setup": {"model": "logreg", "initial": 20, "batch_size": 10, "rounds": ROUNDS | {"other": 20},
                  "strategies": list(strategies), "seeds": args.seeds,
                  "coverage_from_labels": 50, "interval": 0.9},
        "overall": {**estimate_coverage(all_runs), "n_runs": len(all_runs)},
        "by_strategy": {s: estimate_coverage([r for r in all_runs if r["strategy"] == s])
                        for s in strategies},
        "by_dataset": per_dataset,
        "stopping": stopping_outcomes(all_runs),
        "minutes": round((time.perf_counter() - t0) / 60, 1),
    }
    write_json(RESULTS / "stopping.json", summary)
    (RESULTS / "stopping.md").write_text(render(summary))
    print(summary["overall"])
    return 0


def render(summary: dict) -> str:
    o = summary["overall"]
    st = summary["setup"]
    lines = [
        "# Accuracy without a test set, and when to stop (issue 14)",
        "",
        f"`python benchmarks/stopping.py --seeds {st['seeds']}`: logistic regression, 20 random seed "
        f"labels, batches of 10, 20 rounds (wine 10); strategies {', '.join(st['strategies'])}; "
        f"{o['n_runs']} runs.",
        "",
        f"**The 90 % interval held the test accuracy in {o['estimate_coverage']:.1%} of "
        f"{o['estimate_rounds']} rounds with at least 50 labels** (bar: ≥ 85 %); mean estimate − "
        f"test accuracy {o['estimate_bias']:+.4f}, mean absolute error {o['estimate_mae']:.4f}.",
        "",
        "| dataset | coverage | rounds | bias | MAE |",
        "|---|---|---|---|---|",
    ]
    for ds, d in summary["by_dataset"].items():
        c = d["overall"]
        lines.append(f"| {ds} | {c['estimate_coverage']:.1%} | {c['estimate_rounds']} | "
                     f"{c['estimate_bias']:+.4f} | {c['estimate_mae']:.4f} |")
    lines += ["", "| strategy | coverage | rounds | bias | MAE |", "|---|---|---|---|---|"]
    for s, c in summary["by_strategy"].items():
        lines.append(f"| {s} | {c['estimate_coverage']:.1%} | {c['estimate_rounds']} | "
                     f"{c['estimate_bias']:+.4f} | {c['estimate_mae']:.4f} |")
    lines += [
        "",
        "## Stopping rules: labels saved vs accuracy lost (against the full budget, all runs)",
        "",
        "Labels saved and accuracy lost are means over all runs (0 where the rule never fired).",
        "",
        "| rule | fired | labels at stop | labels saved | accuracy lost (mean) | accuracy lost (worst) |",
        "|---|---|---|---|---|---|",
    ]
    for rule, s in summary["stopping"].items():
        at = f"{s['labels_at_stop_mean']:.0f}" if s["labels_at_stop_mean"] is not None else "—"
        lines.append(f"| {rule} | {s['fired']}/{s['runs']} | {at} | {s['labels_saved_mean']:.1f} | "
                     f"{s['accuracy_lost_mean']:+.4f} | {s['accuracy_lost_max']:+.4f} |")
    lines += ["", "Per dataset:", ""]
    for ds, d in summary["by_dataset"].items():
        cells = [f"{rule} {s['fired']}/{s['runs']} (saved {s['labels_saved_mean']:.0f}, lost "
                 f"{s['accuracy_lost_mean']:+.3f})" for rule, s in d["stopping"].items()]
        lines.append(f"- {ds}: " + "; ".join(cells))
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
