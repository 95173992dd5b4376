"""Active learning for regression on real tables: every regression strategy against random.

For each dataset (scikit-learn's diabetes; river's TrumpApproval and ChickWeights, read offline),
a fixed 25 % test split (seed 0), the pool standardized with its own statistics, and 5 seeds:
`activelab.regression.simulate_regression` with 20 seed labels (the same for every strategy under
a seed, so comparisons are paired), batches of 10 for 15 rounds (170 labels). Reported: the
normalized area under the test R² curve (`learning_curve_auc`), its paired difference with random
(mean ± 2·SE over seeds, `paired_difference`), final R², and the best strategy per dataset.

    .venv-bench/bin/python benchmarks/regression_suite.py            # full (a few minutes)
    .venv-bench/bin/python benchmarks/regression_suite.py --quick    # smoke run, not saved over

Writes benchmarks/results/regression.json and regression.md (``--quick``: regression_quick.*).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, read_json, write_json

from activelab.experiments.metrics import learning_curve_auc, paired_difference
from activelab.models import scale_pool
from activelab.regression import (
    load_regression_dataset,
    regression_strategy_names,
    simulate_regression,
)

DATASETS = ("diabetes", "trump_approval", "chick_weights")


def split(name: str, test_fraction: float = 0.25):
    """The dataset's fixed train/test split (seed 0), features scaled with pool statistics."""
    X, y = load_regression_dataset(name)
    perm = np.random.default_rng(0).permutation(y.shape[0])
    n_test = round(test_fraction * y.shape[0])
    te, tr = perm[:n_test], perm[n_test:]
    X_pool, X_test = scale_pool(X[tr], X[te])
    return X_pool, y[tr], X_test, y[te]


def run(datasets, models, strategies, seeds, initial, batch_size, rounds) -> dict:
    out = {"settings": {"datasets": list(datasets), "models": list(models),
                        "strategies": list(strategies), "seeds": list(seeds), "initial": initial,
                        "batch_size": batch_size, "rounds": rounds, "test_fraction": 0.25,
                        "metric": "r2"},
           "machine": {"python": platform.python_version(), "cpus": _cpus()},
           "runs": []}
    for ds in datasets:
        X, y, Xt, yt = split(ds)
        for model in models:
            for strategy in strategies:
                for seed in seeds:
                    t0 = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        r = simulate_regression(X, y, Xt, yt, strategy=strategy, model=model,
                                                initial=initial, batch_size=batch_size,
                                                rounds=rounds, random_state=seed)
                    out["runs"].append({
                        "dataset": ds, "model": model, "strategy": strategy, "seed": seed,
                        "x": r.x, "r2": r.metrics["r2"], "rmse": r.metrics["rmse"],
                        "mae": r.metrics["mae"],
                        "auc_r2": learning_curve_auc(r.x, r.metrics["r2"]),
                        "auc_rmse": learning_curve_auc(r.x, r.metrics["rmse"]),
                        "select_s": float(np.sum(r.select_seconds)),
                        "fit_s": float(np.sum(r.fit_seconds)),
                        "wall_s": time.perf_counter() - t0,
                    })
                print(f"{ds:15s} {model:8s} {strategy:10s} "
                      f"AUC R² {np.mean([q['auc_r2'] for q in out['runs'][-len(seeds):]]):.4f}",
                      flush=True)
            out.setdefault("sizes", {})[ds] = {"pool": int(y.shape[0]), "test": int(yt.shape[0]),
                                              "features": int(X.shape[1])}
    out["summary"] = summarize(out["runs"])
    return out


def summarize(runs: list[dict]) -> dict:
    """Per (dataset, model): each strategy's mean AUC, paired Δ vs random (± 2·SE), final R²;
    and the best strategy (highest mean AUC)."""
    summary = {}
    keys = sorted({(r["dataset"], r["model"]) for r in runs})
    for ds, model in keys:
        rows = [r for r in runs if r["dataset"] == ds and r["model"] == model]
        by = {}
        for r in rows:
            by.setdefault(r["strategy"], {})[r["seed"]] = r
        base = by.get("random", {})
        table = {}
        for strategy, seeds in by.items():
            common = sorted(set(seeds) & set(base))
            auc = [seeds[s]["auc_r2"] for s in sorted(seeds)]
            d, se = paired_difference([seeds[s]["auc_r2"] for s in common],
                                      [base[s]["auc_r2"] for s in common])
            drmse, se_rmse = paired_difference([seeds[s]["auc_rmse"] for s in common],
                                               [base[s]["auc_rmse"] for s in common])
            table[strategy] = {
                "auc_r2_mean": float(np.mean(auc)), "auc_r2_sd": float(np.std(auc, ddof=1)) if len(auc) > 1 else 0.0,
                "delta_auc_r2": d, "two_se": 2 * se,
                "delta_auc_rmse": drmse, "two_se_rmse": 2 * se_rmse,
                "final_r2_mean": float(np.mean([seeds[s]["r2"][-1] for s in seeds])),
                "select_s_mean": float(np.mean([seeds[s]["select_s"] for s in seeds])),
                "n_seeds": len(seeds),
            }
        best = max(table, key=lambda s: table[s]["auc_r2_mean"])
        summary[f"{ds}/{model}"] = {"strategies": table, "best": best,
                                    "best_beats_random": bool(
                                        best != "random"
                                        and table[best]["delta_auc_r2"] - table[best]["two_se"] > 0)}
    return summary


def markdown(res: dict) -> str:
    s = res["settings"]
    lines = [
        "# Active learning for regression: strategies vs random",
        "",
        (f"`benchmarks/regression_suite.py`: {len(s['seeds'])} seeds, {s['initial']} random seed "
         f"labels (the same for every strategy under a seed), {s['rounds']} rounds of "
         f"{s['batch_size']}, fixed 25 % test split, pool-standardized features. AUC = normalized "
         "area under the test R² curve over labels; Δ = paired difference with random over seeds, "
         "± 2·SE. **Bold**: Δ − 2·SE > 0."),
        "",
    ]
    for key, block in res["summary"].items():
        ds, model = key.split("/")
        size = res.get("sizes", {}).get(ds, {})
        lines += [(f"## {ds} ({size.get('pool', '?')} pool / {size.get('test', '?')} test rows, "
                   f"{size.get('features', '?')} features), model `{model}`"), "",
                  "| strategy | AUC R² | Δ AUC vs random ± 2·SE | Δ AUC RMSE ± 2·SE | final R² | select s/run |",
                  "|---|---|---|---|---|---|"]
        table = block["strategies"]
        for strategy in sorted(table, key=lambda k: -table[k]["auc_r2_mean"]):
            t = table[strategy]
            delta = f"{t['delta_auc_r2']:+.4f} ± {t['two_se']:.4f}"
            if strategy != "random" and t["delta_auc_r2"] - t["two_se"] > 0:
                delta = f"**{delta}**"
            lines.append(f"| {strategy} | {t['auc_r2_mean']:.4f} | {delta} | "
                         f"{t['delta_auc_rmse']:+.3f} ± {t['two_se_rmse']:.3f} | "
                         f"{t['final_r2_mean']:.4f} | {t['select_s_mean']:.2f} |")
        best = block["best"]
        verdict = "beats random beyond 2·SE" if block["best_beats_random"] else \
            "is not separated from random by 2·SE"
        lines += ["", f"Best: **{best}** ({verdict}).", ""]
    return "\n".join(lines) + "\n"


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 datasets, 2 seeds, 4 rounds")
    ap.add_argument("--models", default="ridge", help="comma-separated regressor names")
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--strategies", default=",".join(regression_strategy_names()))
    ap.add_argument("--merge", action="store_true",
                    help="keep the saved runs of other (dataset, model) pairs in regression.json")
    args = ap.parse_args(argv)
    datasets = args.datasets.split(",")
    seeds = list(range(args.seeds))
    rounds = 15
    if args.quick:
        datasets, seeds, rounds = datasets[:2], seeds[:2], 4
    t0 = time.perf_counter()
    res = run(datasets, args.models.split(","), args.strategies.split(","), seeds, initial=20,
              batch_size=10, rounds=rounds)
    res["wall_s"] = time.perf_counter() - t0
    name = "regression_quick" if args.quick else "regression"
    old = read_json(RESULTS / f"{name}.json") if args.merge else None
    if old:
        done = {(r["dataset"], r["model"]) for r in res["runs"]}
        kept = [r for r in old["runs"] if (r["dataset"], r["model"]) not in done]
        res["runs"] = kept + res["runs"]
        res["sizes"] = {**old.get("sizes", {}), **res.get("sizes", {})}
        res["settings"]["models"] = sorted({r["model"] for r in res["runs"]})
        res["settings"]["datasets"] = sorted({r["dataset"] for r in res["runs"]})
        res["wall_s"] += old.get("wall_s", 0.0)
        res["summary"] = summarize(res["runs"])
    write_json(RESULTS / f"{name}.json", res)
    (RESULTS / f"{name}.md").write_text(markdown(res))
    print(markdown(res))
    print(f"wrote {RESULTS / name}.json/.md in {res['wall_s']:.0f} s")


if __name__ == "__main__":
    main()
