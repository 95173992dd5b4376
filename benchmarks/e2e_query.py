"""End-to-end query benchmark (issue 15): what a user waits for when asking for the next batch,
the model's predict_proba included.

    .venv-bench/bin/python benchmarks/e2e_query.py            # 10⁶ rows × 64, 5 repeats
    .venv-bench/bin/python benchmarks/e2e_query.py --quick    # 10⁵ rows, 2 repeats
    .venv-bench/bin/python benchmarks/e2e_query.py --rows 300000 --repeats 7 --out /tmp/e2e.json

One pool (float32 features, 10 classes from a noisy random linear teacher, 1,000 labeled rows,
the rest marked `activelab.UNLABELED`) and one model, activelab's default pipeline
(StandardScaler + LogisticRegression) fitted once on the labeled rows and pickled, so every
implementation gets the same bytes and the same fitted model. Timed calls (batch 100, margin):

- activelab: ``activelab.query(X, y, strategy="margin", model=fitted, batch_size=100)``
- modal:     ``modAL.uncertainty.margin_sampling(fitted, X_pool, n_instances=100)``, where
  ``X_pool = X[unlabeled]`` is held before the call, as a modAL user's loop holds it
- numpy:     ``fitted.predict_proba(X[unlabeled])``, then the top-two gap by ``np.partition`` and
  the 100 smallest by ``np.argpartition`` (a plain reference, gather included)
- predict_proba: ``fitted.predict_proba(X_pool)`` alone, the model's own floor (not a query)

`--strategy entropy|least_confidence` times those rules the same way against modAL's
``entropy_sampling`` / ``uncertainty_sampling`` (results/e2e_query_<strategy>.{json,md}).
For this model (a scaler and a logistic regression) activelab takes its streamed linear path
(`activelab.models.linear_form`): float32 logits per block, the rows near the cut recomputed
with the model's own predict_proba.

Each (implementation, BLAS setting) cell runs in a fresh subprocess that imports everything and
warms up on a 2,000-row slice first, then times `--repeats` calls: wall seconds (median),
process CPU seconds, and peak RSS growth during the call (common.PeakMemory). `--rounds R` runs
every cell R times, interleaved (a fresh process each time), and pools the calls, so a change in
the shared machine's load falls on every implementation alike. Two BLAS settings
by default: "1" (OPENBLAS/OMP/MKL_NUM_THREADS=1, the suites' convention on this shared machine)
and "all" (the variables unset, what a user gets by default); activelab predicts blocks of rows
on one thread per core either way. The picks are compared as sets of pool rows. Results:
benchmarks/results/e2e_query.json and .md (with --quick: results/quick/).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, PeakMemory, machine, read_json, run_isolated, versions, write_json  # noqa: E402

D = 64
N_CLASSES = 10
N_LABELED = 1000
BATCH = 100
WARMUP_ROWS = 2000
LIBS = ("activelab", "modal", "numpy", "predict_proba")
#: The issue's target: activelab at least this many times faster than modAL, and no heavier.
TARGET_RATIO = 1.5
#: --strategy → modAL's function of the same rule (the issue's target is stated for margin).
MODAL_FUNCTION = {"margin": "margin_sampling", "entropy": "entropy_sampling",
                  "least_confidence": "uncertainty_sampling"}


def numpy_scores(strategy: str, p: np.ndarray) -> np.ndarray:
    """The plain reference's uncertainty (higher = more uncertain) of a probability table."""
    if strategy == "margin":
        top2 = np.partition(p, p.shape[1] - 2, axis=1)[:, -2:]
        return top2[:, 0] - top2[:, 1]
    if strategy == "entropy":
        return -(p * np.log(np.clip(p, 1e-300, 1.0))).sum(axis=1)
    return 1.0 - p.max(axis=1)


BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


# ---------------------------------------------------------------- pool and model

def make_pool(folder: Path, rows: int, n_labeled: int) -> dict:
    """Generate (once) X (rows × 64 float32), y (-1 = unlabeled) and the fitted default model."""
    meta = read_json(folder / "meta.json")
    if meta is not None:
        return meta
    from activelab.models import default_model

    rng = np.random.default_rng([rows, D, n_labeled, 15])
    X = rng.standard_normal((rows, D), dtype=np.float32)
    W = rng.standard_normal((D, N_CLASSES)).astype(np.float32) * np.float32(2 / np.sqrt(D))
    truth = np.empty(rows, dtype=np.int64)
    for a in range(0, rows, 100_000):  # teacher: argmax of X W + Gumbel noise (softmax sampling)
        b = min(rows, a + 100_000)
        truth[a:b] = (X[a:b] @ W + rng.gumbel(size=(b - a, N_CLASSES))).argmax(1)
    X *= rng.uniform(0.5, 3.0, size=D).astype(np.float32)  # raw features: scaled and shifted,
    X += rng.uniform(-2.0, 2.0, size=D).astype(np.float32)  # so the scaler has work to do
    lab = np.sort(rng.choice(rows, size=n_labeled, replace=False))
    y = np.full(rows, -1, dtype=np.int64)
    y[lab] = truth[lab]
    model = default_model()
    t0 = time.perf_counter()
    model.fit(X[lab], y[lab])
    fit_s = time.perf_counter() - t0
    unl = np.flatnonzero(y < 0)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "X.npy", X)
    np.save(folder / "y.npy", y)
    (folder / "model.pkl").write_bytes(pickle.dumps(model, protocol=5))
    meta = {"rows": rows, "d": D, "n_classes": N_CLASSES, "n_labeled": n_labeled,
            "n_unlabeled": int(unl.size), "classes_labeled": int(np.unique(y[lab]).size),
            "teacher": "argmax(X W + Gumbel), W ~ N(0, 4/d); features then scaled by U(0.5, 3) "
                       "and shifted by U(-2, 2) per column",
            "model": " ".join(repr(model).split()), "fit_s": fit_s,
            "model_accuracy_on_unlabeled": float((model.predict(X[unl]) == truth[unl]).mean())}
    write_json(folder / "meta.json", meta)
    return meta


# ---------------------------------------------------------------- worker (one cell)

def worker(spec_path: Path) -> None:
    """Import, load, warm up on a small slice, then time `repeats` calls; write the record."""
    spec = json.loads(spec_path.read_text())
    lib, folder = spec["lib"], Path(spec["folder"])
    import activelab  # noqa: F401 (imported in every cell, so import work is never timed)
    import sklearn  # noqa: F401

    X = np.load(folder / "X.npy")
    y = np.load(folder / "y.npy")
    model = pickle.loads((folder / "model.pkl").read_bytes())
    unl = np.flatnonzero(y == activelab.UNLABELED)
    call, args, small = _cell(lib, model, X, y, unl, spec.get("strategy", "margin"))
    for _ in range(2):
        call(*small)  # warm-up: first-call costs (imports inside libraries, thread pools)
    seconds, cpu, mem, picks = [], [], [], []
    for _ in range(spec["repeats"]):
        with PeakMemory() as pm:
            c0, t0 = time.process_time(), time.perf_counter()
            idx = call(*args)
            t1, c1 = time.perf_counter(), time.process_time()
        seconds.append(t1 - t0)
        cpu.append(c1 - c0)
        mem.append(pm.extra_mib)
        picks.append(sorted(int(i) for i in (unl[idx] if lib in ("modal", "predict_proba") else idx)))
    record = {"lib": lib, "blas": spec["blas"], "status": "ok", "seconds": seconds,
              "cpu_seconds": cpu, "peak_extra_mib": mem, "picks": picks[-1],
              "picks_stable": all(p == picks[0] for p in picks),
              "valid": len(set(picks[-1])) == BATCH and bool((y[picks[-1]] < 0).all()),
              "blas_threads": _blas_threads(), "load_average": list(os.getloadavg())}
    Path(spec["result"]).write_text(json.dumps(record))


def _cell(lib: str, model, X: np.ndarray, y: np.ndarray, unl: np.ndarray, strategy: str = "margin"):
    """(timed function, its arguments, warm-up arguments) of one implementation."""
    small_X, small_y = X[:WARMUP_ROWS].copy(), y[:WARMUP_ROWS].copy()
    if lib == "activelab":
        import activelab

        def call(X, y):
            return activelab.query(X, y, strategy=strategy, model=model, batch_size=BATCH,
                                   random_state=0)

        return call, (X, y), (small_X, small_y)
    if lib == "numpy":
        def call(X, y):
            cand = np.flatnonzero(y == -1)
            score = numpy_scores(strategy, model.predict_proba(X[cand]))
            return cand[np.argpartition(-score, BATCH - 1)[:BATCH]]

        return call, (X, y), (small_X, small_y)
    X_pool = X[unl]  # what a modAL user holds: the unlabeled rows (built before the timed call)
    if lib == "modal":
        import modAL.uncertainty

        sample = getattr(modAL.uncertainty, MODAL_FUNCTION[strategy])

        def call(X_pool):
            pos, _ = sample(model, X_pool, n_instances=BATCH)
            return pos

        return call, (X_pool,), (X_pool[:WARMUP_ROWS].copy(),)
    if lib == "predict_proba":
        def call(X_pool):
            model.predict_proba(X_pool)
            return np.arange(BATCH)  # not a query: its "picks" are ignored

        return call, (X_pool,), (X_pool[:WARMUP_ROWS].copy(),)
    raise ValueError(f"unknown implementation {lib!r}")


def _blas_threads():
    try:
        from threadpoolctl import threadpool_info

        return sorted({p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"})
    except Exception:
        return None


# ---------------------------------------------------------------- parent

def run_cell(lib: str, blas: str, folder: Path, repeats: int, timeout: float,
             strategy: str = "margin") -> dict:
    """One fresh worker process: `repeats` timed calls of one implementation."""
    env = {k: v for k, v in os.environ.items() if k not in BLAS_VARS}
    if blas != "all":
        env.update({k: blas for k in BLAS_VARS})
    fd, result = tempfile.mkstemp(prefix="e2e-result-", suffix=".json")
    os.close(fd)
    spec = {"lib": lib, "blas": blas, "folder": str(folder), "repeats": repeats, "result": result,
            "strategy": strategy}
    with tempfile.NamedTemporaryFile("w", prefix="e2e-spec-", suffix=".json", delete=False) as f:
        json.dump(spec, f)
    load = [round(x, 2) for x in os.getloadavg()]
    try:
        status, err = run_isolated([sys.executable, __file__, "--worker", f.name], timeout, env)
        rec = read_json(Path(result)) if status == "ok" else None
    finally:
        Path(f.name).unlink(missing_ok=True)
        Path(result).unlink(missing_ok=True)
    if rec is None:
        return {"lib": lib, "blas": blas, "status": status, "error": err.strip()[-500:],
                "load_average_before": load}
    rec["load_average_before"] = load
    return rec


def merge_rounds(runs: list[dict]) -> dict:
    """A cell's processes (one per round) as one record: the calls of every round pooled."""
    failed = [r for r in runs if r["status"] != "ok"]
    if failed:
        return {**failed[0], "rounds": len(runs)}
    rec = {k: runs[0][k] for k in ("lib", "blas", "status", "blas_threads")}
    for key in ("seconds", "cpu_seconds", "peak_extra_mib"):
        rec[key] = [x for r in runs for x in r[key]]
    rec["seconds_per_round"] = [r["seconds"] for r in runs]
    rec["load_average_before"] = [r["load_average_before"] for r in runs]
    rec["median_s"] = statistics.median(rec["seconds"])
    rec["median_cpu_s"] = statistics.median(rec["cpu_seconds"])
    rec["peak_extra_mib_max"] = max(rec["peak_extra_mib"])
    rec["rounds"] = len(runs)
    if rec["lib"] == "predict_proba":
        rec.update(picks=None, valid=None, picks_stable=None)
    else:
        rec["picks"] = runs[-1]["picks"]
        rec["picks_stable"] = all(r["picks_stable"] and r["picks"] == rec["picks"] for r in runs)
        rec["valid"] = all(r["valid"] for r in runs)
    return rec


def compare(cells: list[dict]) -> list[dict]:
    """Per BLAS setting and peer: time ratio (peer ÷ activelab, higher = activelab faster),
    memory ratio (peer ÷ activelab peak MiB), and whether the picks are the same set of rows."""
    by = {(c["lib"], c["blas"]): c for c in cells if c["status"] == "ok"}
    out = []
    for (lib, blas), c in sorted(by.items()):
        base = by.get(("activelab", blas))
        if lib == "activelab" or base is None:
            continue
        per_round = [statistics.median(p) / statistics.median(a)
                     for p, a in zip(c["seconds_per_round"], base["seconds_per_round"])]
        row = {"blas": blas, "peer": lib, "time_ratio": c["median_s"] / base["median_s"],
               "time_ratio_per_round": per_round,
               "memory_ratio": (c["peak_extra_mib_max"] / base["peak_extra_mib_max"]
                                if base["peak_extra_mib_max"] > 0 else None),
               "activelab_s": base["median_s"], "peer_s": c["median_s"],
               "activelab_mib": base["peak_extra_mib_max"], "peer_mib": c["peak_extra_mib_max"]}
        if c["picks"] is not None:
            common = len(set(c["picks"]) & set(base["picks"]))
            row.update(picks_equal=common == BATCH, picks_common=common)
        out.append(row)
    return out


def targets(comparisons: list[dict]) -> list[dict]:
    """The issue's target against modAL per BLAS setting: ≥ 1.5× faster and no heavier (heavier
    = more than 10 % and 1 MiB above modAL's peak, the speed suite's rule)."""
    out = []
    for c in comparisons:
        if c["peer"] != "modal":
            continue
        heavier = c["activelab_mib"] > 1.1 * c["peer_mib"] and c["activelab_mib"] - c["peer_mib"] > 1.0
        out.append({"blas": c["blas"], "required_ratio": TARGET_RATIO, "time_ratio": c["time_ratio"],
                    "faster_enough": c["time_ratio"] >= TARGET_RATIO, "heavier": heavier,
                    "met": c["time_ratio"] >= TARGET_RATIO and not heavier})
    return out


def render_markdown(res: dict) -> str:
    m, s = res["machine"], res["settings"]
    lines = [
        "# End-to-end query: activelab vs modAL, predict_proba included"
        + (" (quick mode)" if res["quick"] else ""), "",
        f"Pool {s['rows']:,} × {s['d']} float32, {s['n_classes']} classes, {s['n_labeled']:,} "
        f"labeled; {s.get('strategy', 'margin')}, batch {s['batch']}; model {res['pool']['model']} fitted once "
        f"(accuracy on the unlabeled rows {res['pool']['model_accuracy_on_unlabeled']:.3f}). "
        f"Median of {s['rounds'] * s['repeats']} calls per cell ({s['rounds']} round(s) × "
        f"{s['repeats']}, interleaved, each round of a cell a fresh process; imports and a "
        f"warm-up excluded). Machine: {m.get('cpus')} CPUs, load average {res['load_start']} at "
        f"start and {res['load_end']} at the end; Python {m.get('python')}, "
        + ", ".join(f"{k} {v}" for k, v in res["versions"].items() if v) + ".", "",
        "| BLAS threads | call | wall s (median) | CPU s | peak extra MiB | modAL ÷ this (time) "
        "| picks = activelab's |", "|---|---|---|---|---|---|---|",
    ]
    by = {(c["lib"], c["blas"]): c for c in res["cells"]}
    for blas in s["blas"]:
        modal = by.get(("modal", blas))
        for lib in s["libs"]:
            c = by.get((lib, blas))
            if c is None:
                continue
            if c["status"] != "ok":
                lines.append(f"| {blas} | {lib} | {c['status']} | | | | |")
                continue
            ratio = (f"×{modal['median_s'] / c['median_s']:.2f}"
                     if modal and modal["status"] == "ok" else "")
            cmp = next((x for x in res["comparisons"] if x["blas"] == blas and x["peer"] == lib), None)
            same = ("—" if lib in ("activelab", "predict_proba") else
                    f"{cmp['picks_common']}/{BATCH}" if cmp and "picks_common" in cmp else "")
            lines.append(f"| {blas} | {_label(lib, s.get('strategy', 'margin'))} | {c['median_s']:.3f} | {c['median_cpu_s']:.3f} "
                         f"| {c['peak_extra_mib_max']:.0f} | {ratio} | {same} |")
    modal_fn = MODAL_FUNCTION[s.get("strategy", "margin")]
    lines += ["", (f"Target (issue 15, stated for margin): activelab ≥ ×1.5 faster than modAL's "
                   f"{modal_fn} and no heavier in memory.")]
    for t in res["targets"]:
        lines.append(f"- BLAS {t['blas']}: ×{t['time_ratio']:.2f}, "
                     f"{'not heavier' if not t['heavier'] else 'HEAVIER'} → "
                     f"{'met' if t['met'] else 'NOT met'}")
    lines.append("")
    return "\n".join(lines)


def _label(lib: str, strategy: str = "margin") -> str:
    return {"activelab": "activelab.query", "modal": f"modAL {MODAL_FUNCTION[strategy]}",
            "numpy": "NumPy reference", "predict_proba": "predict_proba(X_pool) alone"}[lib]


def print_table(res: dict) -> None:
    print(f"cpus {res['machine'].get('cpus')}, load average start {res['load_start']} "
          f"end {res['load_end']}")
    print(f"{'blas':>4} {'call':<14} {'wall s':>8} {'cpu s':>7} {'MiB':>7} {'modAL÷':>7} {'picks':>6}")
    by = {(c["lib"], c["blas"]): c for c in res["cells"]}
    for blas in res["settings"]["blas"]:
        modal = by.get(("modal", blas))
        for lib in res["settings"]["libs"]:
            c = by.get((lib, blas))
            if c is None:
                continue
            if c["status"] != "ok":
                print(f"{blas:>4} {lib:<14} {c['status']}")
                continue
            ratio = modal["median_s"] / c["median_s"] if modal and modal["status"] == "ok" else float("nan")
            cmp = next((x for x in res["comparisons"] if x["blas"] == blas and x["peer"] == lib), {})
            print(f"{blas:>4} {lib:<14} {c['median_s']:8.3f} {c['median_cpu_s']:7.3f} "
                  f"{c['peak_extra_mib_max']:7.1f} {ratio:7.2f} {cmp.get('picks_common', ''):>6}")
    for c in res["comparisons"]:
        print(f"blas {c['blas']}: {c['peer']} ÷ activelab time ×{c['time_ratio']:.2f}, memory "
              f"×{c['memory_ratio'] if c['memory_ratio'] is None else round(c['memory_ratio'], 2)}")


# ---------------------------------------------------------------- CLI

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=lambda s: int(float(s)), default=None, help="pool rows (default 1e6)")
    p.add_argument("--repeats", type=int, default=None, help="timed calls per cell (default 5)")
    p.add_argument("--rounds", type=int, default=1, help="run every cell this many times, "
                   "interleaved, each in a fresh process; the calls of all rounds are pooled")
    p.add_argument("--quick", action="store_true", help="10⁵ rows, 2 repeats, into results/quick/")
    p.add_argument("--out", type=Path, default=None, help="JSON path (default "
                   "benchmarks/results/e2e_query.json; the .md is written next to it)")
    p.add_argument("--libs", type=lambda s: s.split(","), default=None,
                   help=f"default: {','.join(LIBS)} (modal only where modAL is importable)")
    p.add_argument("--blas", type=lambda s: s.split(","), default=["1", "all"],
                   help="BLAS thread settings, one cell each: a number, or 'all' (variables unset)")
    p.add_argument("--labeled", type=int, default=N_LABELED)
    p.add_argument("--strategy", choices=sorted(MODAL_FUNCTION), default="margin",
                   help="the rule timed (modAL's function of the same rule); results go to "
                   "e2e_query_<strategy>.json unless it is margin or --out is given")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per cell")
    p.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.rows = args.rows or (100_000 if args.quick else 1_000_000)
    args.repeats = args.repeats or (2 if args.quick else 5)
    name = "e2e_query.json" if args.strategy == "margin" else f"e2e_query_{args.strategy}.json"
    args.out = args.out or (RESULTS / "quick" if args.quick else RESULTS) / name
    if args.libs is None:
        import importlib.util

        args.libs = [x for x in LIBS if x != "modal" or importlib.util.find_spec("modAL")]
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        worker(args.worker)
        return 0
    folder = args.out.parent / ".data" / f"e2e_N{args.rows}_d{D}_L{args.labeled}"
    pool = make_pool(folder, args.rows, args.labeled)
    load_start = [round(x, 2) for x in os.getloadavg()]
    info = machine()
    runs = {}
    for r in range(args.rounds):  # interleaved, so a change of the machine's load hits every cell
        for blas in args.blas:
            for lib in args.libs:
                c = run_cell(lib, blas, folder, args.repeats, args.timeout, args.strategy)
                runs.setdefault((lib, blas), []).append(c)
                print(f"round {r + 1} blas {blas:>3} {lib:<14} "
                      + (f"{statistics.median(c['seconds']):.3f} s {max(c['peak_extra_mib']):.1f} MiB "
                         f"load {c['load_average_before'][0]}" if c["status"] == "ok"
                         else f"{c['status']}: {c.get('error', '')}"), file=sys.stderr, flush=True)
    cells = [merge_rounds(v) for v in runs.values()]
    comparisons = compare(cells)
    res = {"suite": "e2e_query", "quick": bool(args.quick), "machine": info,
           "load_start": load_start, "load_end": [round(x, 2) for x in os.getloadavg()],
           "versions": versions(["activelab", "modal", "numpy", "scikit-learn"]),
           "settings": {"rows": args.rows, "d": D, "n_classes": N_CLASSES, "n_labeled": args.labeled,
                        "batch": BATCH, "strategy": args.strategy, "repeats": args.repeats,
                        "rounds": args.rounds,
                        "libs": args.libs, "blas": args.blas, "timeout_s": args.timeout,
                        "memory": "peak RSS growth during the call (VmHWM reset via clear_refs)",
                        "modal_input": "X_pool = X[unlabeled], built before the timed call"},
           "pool": pool, "cells": cells, "comparisons": comparisons, "targets": targets(comparisons)}
    write_json(args.out, res)
    args.out.with_suffix(".md").write_text(render_markdown(res))
    print_table(res)
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
