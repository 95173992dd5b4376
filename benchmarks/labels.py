"""Label-efficiency suite: learning curves of activelab's strategies and the peers' margin,
entropy and core-set on the same splits, seeds and models.

    python benchmarks/labels.py                       # full grid, resumable
    python benchmarks/labels.py --quick               # seconds, for CI
    python benchmarks/labels.py --datasets digits,wine --models logreg --batches 10

activelab's side is activelab.experiments itself (the runner's split, `simulate`, `summarize`,
the metrics); a peer's strategy is wrapped as an activelab Strategy whose `select` hands the
round's features and probabilities to the peer's own query code (benchmarks/peers), so both run
in the same loop from the same seed set, with the same model refitted the same way. Every run
(dataset × model × batch × strategy × seed) is saved when it finishes, as one record of
results/labels_checkpoints.jsonl.gz (see checkpoints.py), so an interrupted suite resumes where it
stopped; `--report-only` rebuilds labels.json/md and the plots from that file alone.
"""

from __future__ import annotations

import os

# Single-threaded BLAS unless the caller says otherwise: on a small shared machine, OpenBLAS's
# threaded matrix-vector products (lbfgs iterations, seeding loops) slow down by 10-40x under
# CPU contention, which would measure the neighbours rather than the libraries.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_data  # noqa: E402
from checkpoints import Checkpoints  # noqa: E402
from common import RESULTS, machine, versions, write_json  # noqa: E402
from peers import Pool, available_peers, implementations  # noqa: E402

from activelab import Selection, Strategy  # noqa: E402
from activelab.models import SklearnModel, predict_labels  # noqa: E402
from activelab.experiments import make_model  # noqa: E402
from activelab.experiments.runner import split  # noqa: E402
from activelab.experiments.summary import summarize  # noqa: E402
from activelab import simulate  # noqa: E402

ACTIVELAB = ("random", "margin", "entropy", "coreset", "badge", "typiclust", "density_weighted", "auto")
PEER_STRATEGIES = ("margin", "entropy", "coreset")
INITIAL = 20
TEST_SIZE = 0.25
ROUNDS = {10: 20, 50: 10}  # batch → rounds (capped by the pool)
FULL = dict(datasets=list(bench_data.SMALL + bench_data.LARGE), models=["logreg", "svm"],
            batches=[10, 50], seeds=list(range(10)))
QUICK = dict(datasets=["wine"], models=["logreg"], batches=[10], seeds=[0, 1], rounds=3,
             strategies=["random", "margin", "coreset"])


class PeerStrategy(Strategy):
    """A peer library's strategy inside activelab's loop (benchmark adapter, not registered).

    `select` builds the `Pool` of the round — `ctx.features()` (the same representation
    activelab's geometry strategies use) and `ctx.proba()` (the round's fitted model) — and
    returns the peer's picks.
    """

    name = "peer"
    family = "baseline"
    reference = "see benchmarks/peers"

    def __init__(self, lib: str = "modal", strategy: str = "margin") -> None:
        self.lib = lib
        self.strategy = strategy

    def select(self, ctx, batch_size, rng):
        y = np.full(ctx.n_samples, -1, dtype=np.int64)
        lab = ctx.labeled_idx
        y[lab] = np.searchsorted(ctx.classes, ctx.y[lab])
        needs_proba = self.strategy not in ("coreset", "typiclust")
        pool = Pool(X=ctx.features(), y=y, proba=ctx.proba("peer") if needs_proba else None,
                    n_classes=len(ctx.classes))
        idx = implementations(self.lib)[self.strategy](pool, batch_size, int(rng.integers(2**31 - 1)))
        return Selection(idx=np.asarray(idx, dtype=np.intp), candidate_idx=ctx.candidate_idx)


def strategy_object(name: str):
    if ":" in name:
        lib, strategy = name.split(":")
        return PeerStrategy(lib, strategy)
    return name


# ---------------------------------------------------------------- running

def cell_name(dataset, model, batch) -> str:
    return f"{dataset}__{model}__b{batch}"


def checkpoint_file(out: Path) -> Path:
    return out / "labels_checkpoints.jsonl.gz"


def run_key(cell: str, strategy: str, seed: int) -> str:
    """Checkpoint key of one run (the relative path of the JSON file it once was)."""
    return f"cells/{cell}/seeds/{strategy.replace(':', '.')}__seed{seed}"


def run_cell(dataset, model_name, batch, strategies, seeds, rounds_cap, store: Checkpoints,
             data: Path, deadline: float) -> bool:
    """Run every (strategy, seed) of one cell not saved yet; False when the deadline stopped it."""
    X, y = bench_data.load(dataset, data)
    classes = np.unique(y)
    cell = cell_name(dataset, model_name, batch)
    n_pool = len(y) - int(np.ceil(TEST_SIZE * len(y)))
    rounds = min(rounds_cap or ROUNDS.get(batch, 10), (n_pool - INITIAL) // batch)
    for seed in seeds:
        X_pool, X_test, y_pool, y_test = split(X, y, seed, TEST_SIZE)
        full = _full_pool_accuracy(dataset, model_name, seed, X_pool, y_pool, X_test, y_test, classes,
                                   store)
        for s in strategies:
            key = run_key(cell, s, seed)
            if key in store:
                continue
            if time.time() > deadline:
                return False
            t0 = time.perf_counter()
            try:
                res = simulate(X_pool, y_pool, X_test, y_test, strategy=strategy_object(s),
                               model=make_model(model_name), initial=INITIAL, batch_size=batch,
                               rounds=rounds, random_state=seed, classes=classes)
            except Exception as exc:
                store.put(key, {"strategy": s, "seed": seed, "error": f"{type(exc).__name__}: {exc}"[:500]})
                print(f"  {s} seed {seed}: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            store.put(key, {
                "strategy": s, "seed": seed, "labels": res.labels, "accuracy": res.accuracy,
                "f1": res.f1, "select_seconds": res.select_seconds, "fit_seconds": res.fit_seconds,
                "full_pool_accuracy": full, "selected": res.selected[1:],
                "wall_seconds": time.perf_counter() - t0,
            })
    return True


def _full_pool_accuracy(dataset, model_name, seed, X_pool, y_pool, X_test, y_test, classes, store):
    key = f"full_pool/{dataset}__{model_name}__seed{seed}"
    saved = store.get(key)
    if saved is not None:
        return saved["accuracy"]
    full = SklearnModel(make_model(model_name)).fit(X_pool, y_pool, np.arange(len(y_pool)), classes,
                                                    random_state=seed)
    acc = float((predict_labels(full, X_test) == y_test).mean())
    store.put(key, {"accuracy": acc})
    return acc


# ---------------------------------------------------------------- analysis

def saved_cells(store: Checkpoints) -> dict[str, list[dict]]:
    """Cell name → its saved records (runs and errors), cells and records sorted by key."""
    cells: dict[str, list[dict]] = {}
    for key, rec in store.items("cells/"):
        _, cell, _, _ = key.split("/")
        if rec and "__b" in cell:
            cells.setdefault(cell, []).append(rec)
    return cells


def analyse_cell(runs: list[dict]) -> dict:
    """summarize() plus 95 % CIs, paired t-tests against random, labels saved, cross-checks."""
    from scipy import stats

    from activelab.experiments.metrics import learning_curve_auc

    summary = summarize(runs, baseline="random")
    auc = {}
    for r in runs:
        auc.setdefault(r["strategy"], {})[r["seed"]] = learning_curve_auc(r["labels"], r["accuracy"])
    base = auc.get("random", {})
    l95_random = summary.get("random", {}).get("labels_to_95")
    budget = max(r["labels"][-1] for r in runs)
    for s, e in summary.items():
        vals = np.array(list(auc[s].values()))
        n = len(vals)
        half = float(stats.t.ppf(0.975, n - 1) * e["auc_sem"]) if n > 1 else float("nan")
        e["auc_ci95"] = [e["auc_mean"] - half, e["auc_mean"] + half]
        if s != "random" and base:
            seeds = sorted(set(auc[s]) & set(base))
            a = np.array([auc[s][k] for k in seeds])
            b = np.array([base[k] for k in seeds])
            p = _paired_p(a, b)
            e["p_vs_random"] = p
            e["vs_random"] = ("better" if p < 0.05 and a.mean() > b.mean() else
                              "worse" if p < 0.05 and a.mean() < b.mean() else "n.s.")
        l95 = e["labels_to_95"]
        if s != "random":
            if l95 is not None and l95_random is not None:
                e["labels_saved_vs_random"] = l95_random - l95
            elif l95 is not None:
                e["labels_saved_vs_random"] = f">= {budget - l95}"  # random never reached it
            else:
                e["labels_saved_vs_random"] = None
    ranks = _ranks({s: e["auc_mean"] for s, e in summary.items()})
    for s, e in summary.items():
        e["rank"] = ranks[s]
    return {"summary": summary, "cross_check": cross_check(runs, auc)}


def _paired_p(a, b) -> float:
    from scipy import stats

    d = a - b
    if len(d) < 2:
        return float("nan")
    if np.allclose(d, d[0]):
        return 1.0 if abs(d[0]) < 1e-12 else 0.0
    return float(stats.ttest_rel(a, b).pvalue)


def _ranks(values: dict) -> dict:
    from scipy.stats import rankdata

    names = list(values)
    r = rankdata([-values[s] for s in names])  # 1 = best AUC, ties averaged
    return {s: float(x) for s, x in zip(names, r)}


def cross_check(runs, auc) -> list[dict]:
    """Peer vs activelab for the same algorithm: paired AUC difference over seeds, and how many
    runs picked exactly the same rows in every round."""
    from scipy import stats

    sel = {(r["strategy"], r["seed"]): r.get("selected") for r in runs}
    out = []
    for s in sorted(auc):
        if ":" not in s:
            continue
        lib, algo = s.split(":")
        if algo not in auc:
            continue
        seeds = sorted(set(auc[s]) & set(auc[algo]))
        d = np.array([auc[s][k] - auc[algo][k] for k in seeds])
        se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("nan")
        p = _paired_p(np.array([auc[s][k] for k in seeds]), np.array([auc[algo][k] for k in seeds]))
        same = sum(1 for k in seeds if sel.get((s, k)) is not None
                   and [sorted(x) for x in sel[(s, k)]] == [sorted(x) for x in sel[(algo, k)]])
        out.append({"peer": s, "activelab": algo, "n_seeds": len(seeds),
                    "auc_diff_mean": float(d.mean()) if len(d) else float("nan"), "auc_diff_se": se,
                    "p": p, "agree": bool(not (p < 0.05)) if np.isfinite(p) else None,
                    "identical_runs": same})
    return out


def _agree_word(agree: bool | None) -> str:
    """yes / NO, or n/a when one seed leaves nothing to test."""
    return "n/a" if agree is None else ("yes" if agree else "NO")


def collect(store: Checkpoints, args) -> dict:
    cells = {}
    for name, records in saved_cells(store).items():
        runs = [r for r in records if "error" not in r]
        if not runs:
            continue
        dataset, model, b = name.rsplit("__", 2)
        errors = [r for r in records if "error" in r]
        info = analyse_cell(runs)
        info.update(dataset=dataset, model=model, batch=int(b[1:]),
                    n_runs=len(runs), seeds=sorted({r["seed"] for r in runs}),
                    strategies=sorted({r["strategy"] for r in runs}, key=_order),
                    errors=[{"strategy": e["strategy"], "seed": e["seed"], "error": e["error"]}
                            for e in errors],
                    curves=_mean_curves(runs))
        cells[name] = info
    overall = {}
    for info in cells.values():
        for s, e in info["summary"].items():
            o = overall.setdefault(s, {"ranks": [], "better": 0, "worse": 0, "cells": 0})
            o["ranks"].append(e["rank"])
            o["cells"] += 1
            o["better"] += e.get("vs_random") == "better"
            o["worse"] += e.get("vs_random") == "worse"
    for o in overall.values():
        o["mean_rank"] = float(np.mean(o.pop("ranks")))
    # the same, ranked among activelab's own strategies (a peer that ties with activelab's same
    # algorithm would otherwise share its rank, and peers did not run in every cell)
    own = {}
    for info in cells.values():
        mine = {s: e["auc_mean"] for s, e in info["summary"].items() if ":" not in s}
        for s, r in _ranks(mine).items():
            o = own.setdefault(s, {"ranks": [], "cells": 0})
            o["ranks"].append(r)
            o["cells"] += 1
    for s, o in own.items():
        o["mean_rank"] = float(np.mean(o.pop("ranks")))
        o["better"], o["worse"] = overall[s]["better"], overall[s]["worse"]
    libs = sorted({s.split(":")[0] for info in cells.values() for s in info["strategies"] if ":" in s})
    return {"suite": "labels", "quick": bool(args.quick), "machine": machine(),
            "versions": versions(["activelab", *libs, "numpy", "scikit-learn"]),
            "settings": {"initial": INITIAL, "test_size": TEST_SIZE, "rounds": ROUNDS,
                         "initial_strategy": "random",
                         "target": "95 % of the full-pool accuracy (seed-averaged)",
                         "significance": "paired t-test over seeds on AUC, p < 0.05"},
            "datasets": {d: bench_data.describe(d) for d in sorted({i["dataset"] for i in cells.values()})},
            "cells": cells, "overall": overall, "overall_activelab": own}


def _order(s: str):
    if ":" in s:
        lib, algo = s.split(":")
        return (1, algo, lib)
    return (0, ACTIVELAB.index(s) if s in ACTIVELAB else 99, "")


def _mean_curves(runs):
    out = {}
    for s in sorted({r["strategy"] for r in runs}):
        rs = [r for r in runs if r["strategy"] == s]
        out[s] = {"labels": rs[0]["labels"], "accuracy": np.mean([r["accuracy"] for r in rs], axis=0).tolist(),
                  "std": np.std([r["accuracy"] for r in rs], axis=0).tolist()}
    return out


def render_markdown(res: dict) -> str:
    lines = ["# Label efficiency" + (" (quick mode)" if res["quick"] else ""), "",
             f"{len(res['cells'])} cells (dataset × model × batch). Each strategy starts from the "
             f"same {INITIAL} random labels per seed, test split {int(TEST_SIZE * 100)} % "
             "(stratified, per seed); AUC = area under accuracy-vs-labels ÷ label range. "
             "Better/worse than random: paired t-test over seeds on AUC, p < 0.05. Labels to 95 %: "
             "first budget where the seed-averaged accuracy reaches 95 % of the full-pool "
             "accuracy; saved = random's count minus the strategy's. Peers are named `library:algorithm`.",
             "", "## Overall", "", "| strategy | mean rank (1 = best AUC) | cells | better than random | worse than random |",
             "|---|---|---|---|---|"]
    for s, o in sorted(res["overall"].items(), key=lambda kv: kv[1]["mean_rank"]):
        lines.append(f"| {s} | {o['mean_rank']:.2f} | {o['cells']} | {o['better']} | {o['worse']} |")
    lines += ["", "## Overall, among activelab's strategies only", "",
              "Ranks recomputed within each cell over activelab's own strategies (every cell has "
              "all of them), so cells with and without peers weigh the same.", "",
              "| strategy | mean rank | cells | better than random | worse than random |",
              "|---|---|---|---|---|"]
    for s, o in sorted(res.get("overall_activelab", {}).items(), key=lambda kv: kv[1]["mean_rank"]):
        lines.append(f"| {s} | {o['mean_rank']:.2f} | {o['cells']} | {o['better']} | {o['worse']} |")
    lines += ["", "## Cross-check: peer vs activelab on the same algorithm", "",
              "Paired AUC difference (peer − activelab) over seeds; agree = not significant at 5 %; "
              "identical = runs whose every batch was the same set of rows.", "",
              "| cell | peer | Δ AUC ± SE | p | agree | identical runs |", "|---|---|---|---|---|---|"]
    for name, info in res["cells"].items():
        for c in info["cross_check"]:
            lines.append(f"| {name} | {c['peer']} | {c['auc_diff_mean']:+.4f} ± {c['auc_diff_se']:.4f} | "
                         f"{c['p']:.3f} | {_agree_word(c['agree'])} | {c['identical_runs']}/{c['n_seeds']} |")
    lines += ["", "## Per cell", ""]
    for name, info in res["cells"].items():
        lines += [f"### {info['dataset']} · {info['model']} · batch {info['batch']}", "",
                  f"{res['datasets'].get(info['dataset'], '')}; seeds {info['seeds'][0]}–{info['seeds'][-1]} "
                  f"({len(info['seeds'])}).", "",
                  "| strategy | rank | AUC | 95 % CI | vs random (p) | labels to 95 % | saved vs random | select s/round |",
                  "|---|---|---|---|---|---|---|---|"]
        for s in sorted(info["summary"], key=lambda s: info["summary"][s]["rank"]):
            e = info["summary"][s]
            vs = f"{e['vs_random']} ({e['p_vs_random']:.3f})" if "vs_random" in e else "—"
            l95 = e["labels_to_95"] if e["labels_to_95"] is not None else "not reached"
            saved = e.get("labels_saved_vs_random", "—")
            saved = "—" if saved is None else saved
            lines.append(f"| {s} | {e['rank']:.1f} | {e['auc_mean']:.4f} | {e['auc_ci95'][0]:.4f}–{e['auc_ci95'][1]:.4f} | "
                         f"{vs} | {l95} | {saved} | {e['select_seconds_mean']:.3f} |")
        if info["errors"]:
            lines.append("")
            lines.append("Errors: " + "; ".join(f"{e['strategy']} seed {e['seed']}: {e['error'][:120]}"
                                               for e in info["errors"][:5]))
        lines += ["", f"![{name}](labels_plots/{name}.png)", ""]
    return "\n".join(lines)


def plot(res: dict, folder: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for name, info in res["cells"].items():
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for s in info["strategies"]:
            c = info["curves"][s]
            peer = ":" in s
            ax.plot(c["labels"], c["accuracy"], label=s, lw=1.2 if peer else 1.8,
                    ls=":" if peer else "-", marker="x" if peer else None, ms=3)
        ax.set_xlabel("labeled examples")
        ax.set_ylabel("test accuracy (mean over seeds)")
        ax.set_title(f"{info['dataset']} · {info['model']} · batch {info['batch']}", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, ncol=2, loc="lower right")
        fig.tight_layout()
        fig.savefig(folder / f"{name}.png", dpi=80)
        plt.close(fig)


def report(out: Path, store: Checkpoints, args) -> dict:
    res = collect(store, args)
    write_json(out / "labels.json", res)
    (out / "labels.md").write_text(render_markdown(res))
    plot(res, out / "labels_plots")
    return res


# ---------------------------------------------------------------- CLI

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="one tiny cell, two seeds, three rounds (CI)")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--datasets", type=lambda s: s.split(","))
    p.add_argument("--models", type=lambda s: s.split(","))
    p.add_argument("--batches", type=lambda s: [int(x) for x in s.split(",")])
    p.add_argument("--seeds", type=lambda s: [int(x) for x in s.split(",")] if "-" not in s
                   else list(range(int(s.split("-")[0]), int(s.split("-")[1]) + 1)))
    p.add_argument("--rounds", type=int, default=None, help="cap on rounds (default 20 at batch 10, 10 at 50)")
    p.add_argument("--strategies", type=lambda s: s.split(","), default=None,
                   help="activelab names (default: random, the six benchmarked and auto)")
    p.add_argument("--libs", type=lambda s: [x for x in s.split(",") if x and x != "none"], default=None,
                   help="peers whose margin/entropy/coreset run too (default: every importable one; "
                        "'none': activelab's strategies only)")
    p.add_argument("--max-minutes", type=float, default=0)
    p.add_argument("--report-only", action="store_true",
                   help="rebuild labels.json/md and the plots from the checkpoint file, running nothing")
    args = p.parse_args(argv)
    grid = QUICK if args.quick else FULL
    args.datasets = args.datasets or grid["datasets"]
    args.models = args.models or grid["models"]
    args.batches = args.batches or grid["batches"]
    args.seeds = args.seeds if args.seeds is not None else grid["seeds"]
    args.rounds = args.rounds or grid.get("rounds")
    args.strategies = args.strategies or grid.get("strategies", list(ACTIVELAB))
    if args.libs is None:
        args.libs = available_peers()
    peer_algos = [s for s in PEER_STRATEGIES if s in args.strategies] if args.quick else list(PEER_STRATEGIES)
    args.all_strategies = list(args.strategies) + [
        f"{lib}:{s}" for lib in args.libs for s in peer_algos if s in implementations(lib)]
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    out = args.out or (RESULTS / "quick" if args.quick else RESULTS)
    data = out / ".data"
    deadline = time.time() + 60 * args.max_minutes if args.max_minutes else float("inf")
    store = Checkpoints(checkpoint_file(out))
    if not args.report_only:
        for dataset in args.datasets:
            try:
                bench_data.load(dataset, data)
            except (ImportError, OSError) as exc:
                print(f"skipping {dataset}: {exc}", file=sys.stderr)
                continue
            for model in args.models:
                for batch in args.batches:
                    t0 = time.time()
                    done = run_cell(dataset, model, batch, args.all_strategies, args.seeds, args.rounds,
                                    store, data, deadline)
                    print(f"{cell_name(dataset, model, batch)}: {time.time() - t0:.0f} s"
                          + ("" if done else " (stopped: time budget; rerun to resume)"), file=sys.stderr)
                    if not done:
                        break
        store.compact()
    res = report(out, store, args)
    print(f"wrote {out / 'labels.json'}, {out / 'labels.md'} ({len(res['cells'])} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
