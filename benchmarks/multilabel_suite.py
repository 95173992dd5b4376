"""Multi-label label-efficiency suite: every strategy vs random on real offline data.

Per dataset and seed the rows are split once (two thirds pool, one third test, by the seed);
every strategy starts from the same seed set (simulate_multilabel's pairing) and its micro-F1
curve is summarized by its normalized AUC. Reported: mean AUC per strategy, the paired Δ AUC vs
random ± 2·SE over seeds, the final micro/macro-F1 and Hamming loss, seconds per run, and the
best strategy per dataset. Writes benchmarks/results/multilabel.{json,md}.

    .venv-bench/bin/python benchmarks/multilabel_suite.py            # 5 seeds, ~8 min on 1 core
    .venv-bench/bin/python benchmarks/multilabel_suite.py --quick    # 2 seeds, 4 rounds
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from activelab.experiments.metrics import learning_curve_auc, paired_difference
from activelab.multilabel import (
    MULTILABEL_DATASETS,
    load_multilabel_dataset,
    multilabel_strategy_names,
    simulate_multilabel,
)

OUT = Path(__file__).parent / "results"
#: Per dataset: seed-set size, batch size, rounds. Solar flare's C label is present in 17 % of
#: rows, so its seed set is larger (a 20-row draw misses it about 2 % of the time).
CONFIG = {
    "yeast": {"initial": 20, "batch_size": 10, "rounds": 20},
    "solar_flare": {"initial": 30, "batch_size": 10, "rounds": 20},
}


def split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    perm = np.random.default_rng([seed, 99]).permutation(n)
    n_test = n // 3
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def run(datasets, strategies, seeds, rounds=None) -> dict:
    out = {"config": {"seeds": list(seeds), "datasets": {}, "model": "logreg (binary relevance)",
                      "python": platform.python_version()}, "datasets": {}}
    for name in datasets:
        X, Y, _label_names = load_multilabel_dataset(name)
        cfg = dict(CONFIG[name])
        if rounds is not None:
            cfg["rounds"] = rounds
        out["config"]["datasets"][name] = cfg
        per = {s: {"auc": [], "macro_auc": [], "final_micro_f1": [], "final_macro_f1": [],
                   "final_hamming": [], "seconds": [], "curve": []} for s in strategies}
        x_axis = None
        for seed in seeds:
            pool, test = split(X.shape[0], seed)
            for s in strategies:
                t0 = time.perf_counter()
                r = simulate_multilabel(X[pool], Y[pool], X[test], Y[test], strategy=s,
                                        random_state=seed, **cfg)
                rec = per[s]
                rec["seconds"].append(time.perf_counter() - t0)
                rec["auc"].append(learning_curve_auc(r.x, r.metrics["micro_f1"]))
                rec["macro_auc"].append(learning_curve_auc(r.x, r.metrics["macro_f1"]))
                rec["final_micro_f1"].append(r.metrics["micro_f1"][-1])
                rec["final_macro_f1"].append(r.metrics["macro_f1"][-1])
                rec["final_hamming"].append(r.metrics["hamming_loss"][-1])
                rec["curve"].append(r.metrics["micro_f1"])
                x_axis = r.x
                print(f"{name} seed {seed} {s:17s} AUC {rec['auc'][-1]:.4f} "
                      f"({rec['seconds'][-1]:.1f} s)", flush=True)
        summary = {}
        for s, rec in per.items():
            d, se = paired_difference(rec["auc"], per["random"]["auc"])
            summary[s] = {
                "auc_mean": float(np.mean(rec["auc"])),
                "delta_auc_vs_random": d, "se": se,
                "significant": bool(s != "random" and abs(d) > 2 * se),
                "macro_f1_auc_mean": float(np.mean(rec["macro_auc"])),
                "final_micro_f1_mean": float(np.mean(rec["final_micro_f1"])),
                "final_macro_f1_mean": float(np.mean(rec["final_macro_f1"])),
                "final_hamming_mean": float(np.mean(rec["final_hamming"])),
                "seconds_mean": float(np.mean(rec["seconds"])),
                "auc_per_seed": rec["auc"],
                "mean_curve": np.mean(rec["curve"], axis=0).tolist(),
            }
        best = max((s for s in summary if s != "random"), key=lambda s: summary[s]["auc_mean"])
        info = MULTILABEL_DATASETS[name]
        out["datasets"][name] = {
            "n_samples": int(X.shape[0]), "n_features": int(X.shape[1]),
            "n_labels": int(Y.shape[1]), "label_cardinality": float(Y.sum(axis=1).mean()),
            "source": info.source, "x": x_axis, "strategies": summary, "best": best,
        }
    return out


def markdown(res: dict) -> str:
    lines = ["# Multi-label suite: every strategy vs random", "",
             f"Seeds {res['config']['seeds']}; model {res['config']['model']}; AUC = normalized "
             "area under the micro-F1 curve (labels on x); Δ = paired mean difference vs random "
             "over seeds ± 2·SE; * = |Δ| > 2·SE.", ""]
    for name, d in res["datasets"].items():
        cfg = res["config"]["datasets"][name]
        lines += [f"## {name} ({d['n_samples']} × {d['n_features']}, {d['n_labels']} labels, "
                  f"cardinality {d['label_cardinality']:.2f})", "",
                  f"Seed set {cfg['initial']}, batch {cfg['batch_size']}, {cfg['rounds']} rounds "
                  f"({d['x'][0]} → {d['x'][-1]} labels). Best: **{d['best']}**.", "",
                  "| strategy | micro-F1 AUC | Δ vs random ± 2·SE | macro-F1 AUC | final micro-F1 "
                  "| final macro-F1 | final Hamming | s/run |",
                  "|---|---|---|---|---|---|---|---|"]
        rows = sorted(d["strategies"].items(), key=lambda kv: -kv[1]["auc_mean"])
        for s, v in rows:
            delta = "—" if s == "random" else (
                f"{v['delta_auc_vs_random']:+.4f} ± {2 * v['se']:.4f}{' *' if v['significant'] else ''}")
            lines.append(f"| {s} | {v['auc_mean']:.4f} | {delta} | {v['macro_f1_auc_mean']:.4f} | "
                         f"{v['final_micro_f1_mean']:.4f} | {v['final_macro_f1_mean']:.4f} | "
                         f"{v['final_hamming_mean']:.4f} | {v['seconds_mean']:.1f} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 seeds, 4 rounds (a smoke run)")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--datasets", nargs="*", default=list(CONFIG))
    ap.add_argument("--strategies", nargs="*", default=multilabel_strategy_names())
    args = ap.parse_args()
    strategies = sorted(set(args.strategies) | {"random"})
    seeds = range(2 if args.quick else args.seeds)
    t0 = time.perf_counter()
    res = run(args.datasets, strategies, seeds, rounds=4 if args.quick else None)
    res["config"]["wall_seconds"] = time.perf_counter() - t0
    res["config"]["quick"] = args.quick
    stem = "multilabel_quick" if args.quick else "multilabel"
    OUT.mkdir(exist_ok=True)
    (OUT / f"{stem}.json").write_text(json.dumps(res, indent=1))
    (OUT / f"{stem}.md").write_text(markdown(res))
    print(markdown(res))


if __name__ == "__main__":
    main()
