"""Stream-based selective sampling on real offline streams: every selector against random at the
same labeling rate, prequential (test-then-train) accuracy, paired over seeds.

Per (stream, model, budget, selector, seed): one `activelab.stream.run_stream` run. Reported:
the AUC of prequential accuracy over items (`learning_curve_auc`, on the accuracy scale), the
final prequential and windowed accuracy, labels actually spent, and the largest excess of
labels over the rate, max_t(spent(t) − b·t), computed from every queried position (the
guarantee says ≤ allowance = 1). Δ AUC vs random is paired by seed (`paired_difference`),
shown as mean ± 2·SE.

What a seed varies: the selector's randomness (random, randomized variable uncertainty, split,
density) and the stream's order — a permutation for the stationary streams (phishing, segment),
the arrival times for segment_phased (classes phased in). The models have no randomness of
their own in these runs.

    .venv-bench/bin/python benchmarks/stream_suite.py [--quick]

Writes benchmarks/results/stream.json and stream.md (--quick: results/quick/stream.*).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, versions, write_json

from activelab.experiments.metrics import learning_curve_auc, paired_difference
from activelab.stream import load_stream, run_stream, stream_selector_names

FULL = {
    "streams": ["phishing", "segment", "segment_phased"],
    "models": ["hoeffding_tree", "river_logreg", "sgd"],
    "budgets": [0.05, 0.1, 0.2],
    "seeds": [0, 1, 2, 3, 4],
}
QUICK = {
    "streams": ["phishing", "segment_phased"],
    "models": ["river_logreg"],
    "budgets": [0.1],
    "seeds": [0, 1],
}
ALLOWANCE = 1.0  # the selectors' default


def one_run(X, y, stream: str, model: str, budget: float, selector: str, seed: int) -> dict:
    t0 = time.perf_counter()
    res = run_stream(X, y, selector=selector, model=model, budget=budget, random_state=seed)
    seconds = time.perf_counter() - t0
    acc = res.metrics["prequential_accuracy"]
    picked = np.array([i for chunk in res.selected for i in chunk], dtype=float)
    # spent after item t (1-based) = #picked positions < t; the excess peaks right after a query
    excess = float(np.max(np.arange(1, picked.size + 1) - budget * (picked + 1))) if picked.size else 0.0
    return {
        "stream": stream, "model": model, "budget": budget, "selector": selector, "seed": seed,
        "items": res.x[-1], "labels": res.labels[-1],
        "auc": learning_curve_auc(res.x, acc), "final_accuracy": acc[-1],
        "final_windowed": res.metrics["windowed_accuracy"][-1],
        "max_excess": excess, "seconds": seconds,
        "curve": {"x": res.x, "accuracy": [round(a, 5) for a in acc], "labels": res.labels},
    }


def summarize(cells: list[dict]) -> list[dict]:
    """Per (stream, model, budget, selector): means over seeds and the paired Δ AUC vs random."""
    by = {}
    for c in cells:
        by.setdefault((c["stream"], c["model"], c["budget"], c["selector"]), {})[c["seed"]] = c
    rows = []
    for (stream, model, budget, selector), runs in sorted(by.items()):
        base = by.get((stream, model, budget, "random"), {})
        seeds = sorted(set(runs) & set(base))
        d, se = paired_difference([runs[s]["auc"] for s in seeds], [base[s]["auc"] for s in seeds])
        vals = list(runs.values())
        rows.append({
            "stream": stream, "model": model, "budget": budget, "selector": selector,
            "seeds": len(vals),
            "auc_mean": float(np.mean([v["auc"] for v in vals])),
            "final_accuracy_mean": float(np.mean([v["final_accuracy"] for v in vals])),
            "delta_auc_vs_random": None if selector == "random" else d,
            "two_se": None if selector == "random" else 2 * se,
            "labels_mean": float(np.mean([v["labels"] for v in vals])),
            "labels_allowed": budget * vals[0]["items"],
            "max_excess": float(max(v["max_excess"] for v in vals)),
            "seconds_mean": float(np.mean([v["seconds"] for v in vals])),
            "curve": mean_curve(vals),
        })
    return rows


def mean_curve(runs: list[dict], points: int = 25) -> dict | None:
    """Prequential accuracy and labels over items, averaged over seeds, at ~`points` checkpoints."""
    curves = [r["curve"] for r in runs if r.get("curve")]
    if not curves or any(c["x"] != curves[0]["x"] for c in curves):
        return None
    x = curves[0]["x"]
    keep = sorted(set(np.linspace(0, len(x) - 1, points).round().astype(int).tolist()))
    acc = np.mean([c["accuracy"] for c in curves], axis=0)
    lab = np.mean([c["labels"] for c in curves], axis=0)
    return {"x": [x[i] for i in keep], "accuracy": [round(float(acc[i]), 4) for i in keep],
            "labels": [round(float(lab[i]), 1) for i in keep]}


def markdown(result: dict) -> str:
    cfg = result["config"]
    lines = [
        "# Stream-based selective sampling: selectors vs random (prequential accuracy)",
        "",
        f"Streams {', '.join(cfg['streams'])}; models {', '.join(cfg['models'])}; budgets "
        f"{', '.join(map(str, cfg['budgets']))}; seeds {cfg['seeds']}. Generated by "
        "`benchmarks/stream_suite.py`" + (" --quick" if cfg["quick"] else "") + ".",
        "",
        ("AUC = mean prequential (test-then-train) accuracy over the items (trapezoid over "
        "checkpoints every ⌈n/100⌉ items). Δ = paired AUC difference vs random at the same budget "
        "and seed, mean ± 2·SE over seeds (**bold** where |Δ| > 2·SE). Labels = mean labels "
        "spent (allowed: b·n). Excess = max over seeds and items of spent(t) − b·t (guarantee: "
        f"≤ {ALLOWANCE:g}). A seed varies the selector's randomness and the stream's order "
        "(permutation; for segment_phased the arrival times)."),
        "",
        (f"Total wall time {result['seconds']:.0f} s on {result['machine'].get('cpus')} CPUs "
        f"(load {result['machine'].get('load_average')})."),
        "",
    ]
    rows = result["summary"]
    for stream in cfg["streams"]:
        for model in cfg["models"]:
            lines += [f"## {stream} · {model}", "",
                      "| selector | " + " | ".join(f"b={b}: AUC · Δ vs random · labels" for b in cfg["budgets"]) + " | max excess |",
                      "|---|" + "---|" * len(cfg["budgets"]) + "---|"]
            sels = sorted({r["selector"] for r in rows if r["stream"] == stream and r["model"] == model},
                          key=lambda s: (s != "random", s))
            for sel in sels:
                cells, excess = [], 0.0
                for b in cfg["budgets"]:
                    r = next((r for r in rows if (r["stream"], r["model"], r["budget"], r["selector"])
                              == (stream, model, b, sel)), None)
                    if r is None:
                        cells.append("–")
                        continue
                    excess = max(excess, r["max_excess"])
                    if r["delta_auc_vs_random"] is None:
                        delta = "—"
                    else:
                        d, two = r["delta_auc_vs_random"], r["two_se"]
                        delta = f"{d:+.3f} ± {two:.3f}"
                        if np.isfinite(two) and abs(d) > two:
                            delta = f"**{delta}**"
                    cells.append(f"{r['auc_mean']:.3f} · {delta} · {r['labels_mean']:.0f}/{r['labels_allowed']:.0f}")
                lines.append(f"| {sel} | " + " | ".join(cells) + f" | {excess:.2f} |")
            lines.append("")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="2 streams, 1 model, 1 budget, 2 seeds")
    ap.add_argument("--out", type=Path, default=None, help="results folder")
    ap.add_argument("--report-only", action="store_true",
                    help="rebuild stream.md (and the summary) from the saved stream.json")
    args = ap.parse_args(argv)
    cfg = dict(QUICK if args.quick else FULL, quick=args.quick,
               selectors=stream_selector_names(), allowance=ALLOWANCE)
    out = args.out or (RESULTS / "quick" if args.quick else RESULTS)
    if args.report_only:
        result = json.loads((out / "stream.json").read_text())
        if any("curve" in c for c in result["cells"]):
            result["summary"] = summarize(result["cells"])
        save(out, result)
        return
    t0 = time.perf_counter()
    cells = []
    for stream in cfg["streams"]:
        for seed in cfg["seeds"]:
            X, y = load_stream(stream, seed=seed)
            for model in cfg["models"]:
                for budget in cfg["budgets"]:
                    for selector in cfg["selectors"]:
                        cells.append(one_run(X, y, stream, model, budget, selector, seed))
            print(f"{stream} seed {seed}: {len(cells)} runs, {time.perf_counter() - t0:.0f} s",
                  flush=True)
    result = {
        "config": cfg, "machine": machine(),
        "versions": versions(["activelab", "numpy", "scikit-learn", "river"]),
        "seconds": time.perf_counter() - t0, "summary": summarize(cells), "cells": cells,
    }
    save(out, result)
    print(f"wrote {out / 'stream.json'} and stream.md in {result['seconds']:.0f} s")


def save(out: Path, result: dict) -> None:
    """stream.json (per-run curves reduced to the per-setting mean curves) and stream.md."""
    for c in result["cells"]:
        c.pop("curve", None)
    write_json(out / "stream.json", result)
    (out / "stream.md").write_text(markdown(result))


if __name__ == "__main__":
    main()
