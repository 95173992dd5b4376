"""Speed suite: selection time and peak memory of activelab, a plain NumPy reference and the
peers (modAL, scikit-activeml, ALiPy) on the same pools.

    python benchmarks/speed.py                 # full grid, resumable (cells saved as they finish)
    python benchmarks/speed.py --quick         # seconds: tiny pools, for CI
    python benchmarks/speed.py --sizes 1e4,1e5 --dims 64 --libs activelab,numpy,skactiveml

Each pool (N rows × d float32 features, 10 classes, 1,000 labeled rows) is generated once from a
fixed seed and saved; a logistic regression is fitted on the labeled rows and its predict_proba
on the candidates is timed on its own ("model" column). Every implementation then selects from
the same X and the same probabilities, so the timed call is selection only. Each cell
(library × strategy × N × d × batch) runs in its own subprocess with a time limit and an
address-space cap: a peer that hangs or exhausts memory is reported as "did not finish" or "out
of memory" without stopping the run. Time is the median of `--repeats` runs (fewer when one run
takes more than a third of the limit; more, up to 51, while the runs so far add up to under a
second; the count is saved); memory is the peak RSS growth during
the call (see common.py). Every finished cell, and each pool's model facts, is one record of
results/speed_checkpoints.jsonl.gz (see checkpoints.py): a rerun skips the cells saved there, and
`--report-only` rebuilds speed.json/md/png from that file alone.
"""

from __future__ import annotations

import os

# Single-threaded BLAS unless the caller says otherwise: on a small shared machine, OpenBLAS's
# threaded matrix-vector products (lbfgs iterations, seeding loops) slow down by 10-40x under
# CPU contention, which would measure the neighbours rather than the libraries.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import importlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from checkpoints import Checkpoints, append_record  # noqa: E402
from common import (  # noqa: E402
    DEFAULT_MEM_LIMIT, RESULTS, PeakMemory, cap_memory, machine, read_json, run_isolated,
    versions, write_json,
)
from peers import PEERS, STRATEGIES, Pool, available_peers, implementations  # noqa: E402

N_CLASSES = 10
N_LABELED = 1000
FULL = dict(sizes=[10_000, 100_000, 1_000_000], dims=[64, 512], batches=[100, 1000])
QUICK = dict(sizes=[500, 1_500], dims=[8], batches=[10], n_labeled=40)
#: Peer algorithms the issue calls quadratic or Python-looping (must lose ≥10× at N ≥ 10⁵);
#: the others are vectorized (≥2×).
QUADRATIC = {"badge", "typiclust", "density_weighted"}
ADAPTERS = {"activelab": "peers.activelab_impl", "numpy": "peers.reference",
            **{lib: mod for lib, (_, mod) in PEERS.items()}}


# ---------------------------------------------------------------- pools

def pool_dir(data: Path, n: int, d: int, n_labeled: int) -> Path:
    return data / f"speed_N{n}_d{d}_L{n_labeled}"


def make_pool(data: Path, n: int, d: int, n_labeled: int) -> dict:
    """Generate (once) a pool of n rows: 10 Gaussian clusters in d dims, float32; n_labeled
    labeled rows; a logistic regression fitted on them; its candidate probabilities."""
    folder = pool_dir(data, n, d, n_labeled)
    meta = read_json(folder / "meta.json")
    if meta is not None:
        return meta
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng([n, d])
    centers = rng.normal(scale=0.6, size=(N_CLASSES, d)).astype(np.float32)
    truth = rng.integers(N_CLASSES, size=n)
    lab = np.sort(rng.choice(n, size=n_labeled, replace=False))
    truth[lab[:N_CLASSES]] = np.arange(N_CLASSES)  # every class is labeled at least once
    X = rng.standard_normal((n, d), dtype=np.float32)
    X += centers[truth]
    y = np.full(n, -1, dtype=np.int64)
    y[lab] = truth[lab]
    t0 = time.perf_counter()
    model = LogisticRegression(max_iter=300).fit(X[lab], y[lab])
    fit_s = time.perf_counter() - t0
    cand = np.flatnonzero(y < 0)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        proba = model.predict_proba(X[cand])
        times.append(time.perf_counter() - t0)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "X.npy", X)
    np.save(folder / "y.npy", y)
    np.save(folder / "proba.npy", proba)
    meta = {"n": n, "d": d, "n_labeled": n_labeled, "n_classes": N_CLASSES, "fit_s": fit_s,
            "predict_proba_s": float(np.median(times)),
            "predict_proba_note": "model.predict_proba(X[candidates]) incl. the row gather",
            "accuracy_on_candidates": float((proba.argmax(1) == truth[cand]).mean())}
    write_json(folder / "meta.json", meta)
    return meta


def load_pool(folder: Path) -> Pool:
    X = np.load(folder / "X.npy")
    y = np.load(folder / "y.npy")
    proba = np.load(folder / "proba.npy")
    return Pool(X=X, y=y, proba=proba, n_classes=N_CLASSES)


# ---------------------------------------------------------------- cells

MIN_SECONDS = 1.0  # fast cells repeat until their runs add up to this much ...
MAX_RUNS = 51  # ... or this many runs


SAVE_EVERY = 1.0  # seconds between the progress saves of a cell's runs (and after its last)


def cell_key(lib, strategy, n, d, b) -> str:
    return f"{lib}__{strategy}__N{n}__d{d}__b{b}"


def checkpoint_file(out: Path) -> Path:
    return out / "speed_checkpoints.jsonl.gz"


def worker(spec_path: Path) -> None:
    """Run the cells listed in a spec file (one pool), appending each cell's record to the
    checkpoint file as it goes (after its last run, and every SAVE_EVERY seconds before that, so
    a worker the parent kills keeps the runs it finished).

    Each cell gets `timeout` seconds (SIGALRM; a cell stuck inside one long C call is caught by
    the parent's kill instead, and then rerun alone)."""
    import signal

    spec = json.loads(spec_path.read_text())
    pool_folder = Path(spec["pool"])
    checkpoints = Path(spec["checkpoints"])
    if spec.get("isolated", True):
        cap_memory(int(spec["mem_limit"]))

    def _alarm(signum, frame):
        raise _CellTimeout

    for cell in spec["cells"]:
        key = cell["key"]
        record = {k: cell[k] for k in ("lib", "strategy", "n", "d", "batch")}
        pool = None
        if spec.get("isolated", True):
            signal.signal(signal.SIGALRM, _alarm)
            signal.alarm(int(spec["timeout"]) + 1)
        try:
            pool = load_pool(pool_folder)  # fresh arrays for each cell: no cache shared
            fn = implementations(cell["lib"])[cell["strategy"]]
            prepare = getattr(importlib.import_module(ADAPTERS[cell["lib"]]), "prepare", None)
            if prepare is not None:
                prepare(pool)
            seconds, mem = [], []
            started = saved = time.perf_counter()
            rep = 0
            # at least `repeats` runs; a fast cell keeps going until MIN_SECONDS of runs (at most
            # MAX_RUNS), so a millisecond median is not three samples of a noisy machine
            while rep < spec["repeats"] or (time.perf_counter() - started < MIN_SECONDS
                                            and rep < MAX_RUNS):
                with PeakMemory() as pm:
                    t0 = time.perf_counter()
                    idx = fn(pool, cell["batch"], rep)
                    seconds.append(time.perf_counter() - t0)
                mem.append(pm.extra_mib)
                rep += 1
                record.update(status="ok", seconds=seconds, peak_extra_mib=max(mem),
                              valid=_valid(idx, pool, cell["batch"]))
                if time.perf_counter() - saved > SAVE_EVERY:
                    append_record(checkpoints, key, record)
                    saved = time.perf_counter()
                left = spec["timeout"] - (time.perf_counter() - started)
                if seconds[-1] > left:
                    break
            append_record(checkpoints, key, record)
        except _CellTimeout:
            if record.get("status") == "ok":
                record["note"] = f"stopped at the limit after {len(record['seconds'])} run(s)"
            else:
                record.update(status="timeout", error=f"did not finish in {spec['timeout']:.0f} s")
            append_record(checkpoints, key, record)
        except MemoryError:
            record.update(status="oom", error="MemoryError under the address-space cap")
            append_record(checkpoints, key, record)
        except Exception as exc:  # a peer's failure is a result, not a crash of the suite
            record.update(status="error", error=f"{type(exc).__name__}: {exc}"[:500])
            append_record(checkpoints, key, record)
        finally:
            if spec.get("isolated", True):
                signal.alarm(0)
            pool = None


class _CellTimeout(Exception):
    pass


def _valid(idx, pool: Pool, batch: int) -> bool:
    idx = np.asarray(idx)
    return bool(idx.shape == (batch,) and np.unique(idx).size == batch and (pool.y[idx] < 0).all())


def run_grid(args, store: Checkpoints, data: Path) -> None:
    libs = args.libs
    started = time.time()
    for n in args.sizes:
        for d in args.dims:
            meta = make_pool(data, n, d, args.n_labeled)
            folder = pool_dir(data, n, d, args.n_labeled)
            if store.get(f"pools/{folder.name}") != meta:  # the report's model table
                store.put(f"pools/{folder.name}", meta)
            for b in args.batches:
                todo = []
                for lib in libs:
                    impls = implementations(lib)
                    for s in args.strategies:
                        if s not in impls:
                            continue
                        key = f"cells/{cell_key(lib, s, n, d, b)}"
                        if key in store and not args.force:
                            continue
                        skip = _failed_smaller(store, lib, s, n, d, b, args.sizes)
                        if skip:
                            store.put(key, {"lib": lib, "strategy": s, "n": n, "d": d, "batch": b,
                                            "status": "skipped", "error": skip})
                            continue
                        todo.append({"lib": lib, "strategy": s, "n": n, "d": d, "batch": b,
                                     "key": key})
                groups = {}
                for c in todo:  # one worker per library and pool
                    groups.setdefault(c["lib"], []).append(c)
                for group in groups.values():
                    if args.max_minutes and time.time() - started > 60 * args.max_minutes:
                        print("time budget spent; rerun to resume", file=sys.stderr)
                        return
                    _run_group(group, folder, args, store)
                    for c in group:
                        r = store.get(c["key"])
                        print(f"N={n:>8} d={d:>3} b={b:>4} {c['lib']:>10} {c['strategy']:<17} "
                              f"{_fmt_status(r)}", file=sys.stderr, flush=True)
            del meta


def _run_group(group, folder, args, store: Checkpoints):
    """Run cells in one worker; if it dies, rerun each unfinished cell in a worker of its own
    (so only the cell that hung or blew memory is charged with it). The worker appends to the
    checkpoint file; `store` is reloaded after it."""
    spec = {"pool": str(folder), "cells": group, "repeats": args.repeats, "checkpoints": str(store.path),
            "timeout": args.timeout, "mem_limit": args.mem_limit, "isolated": not args.in_process}
    if args.in_process:  # quick mode: no subprocess, no limits
        with _spec_file(spec) as spec_path:
            worker(spec_path)
        store.reload()
        return
    status, err = _spawn(spec, args.timeout * len(group) + 60, args)
    store.reload()
    if status == "ok":
        return
    left = [c for c in group if c["key"] not in store]
    if len(group) > 1:
        for c in left:
            _run_group([c], folder, args, store)
        return
    for c in left:
        base = {k: c[k] for k in ("lib", "strategy", "n", "d", "batch")}
        if status == "timeout":
            rec = {**base, "status": "timeout", "error": f"did not finish in {args.timeout:.0f} s"}
        else:
            oom = "MemoryError" in err or "rc -9" in status
            last = err.strip().splitlines()[-1] if err.strip() else ""
            rec = {**base, "status": "oom" if oom else "error", "error": f"worker {status}: {last}"[:500]}
        store.put(c["key"], rec)


@contextmanager
def _spec_file(spec: dict) -> Iterator[Path]:
    """A worker's spec as a temporary JSON file (outside the results), removed afterwards."""
    fd, name = tempfile.mkstemp(prefix="speed-spec-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(spec, f)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _spawn(spec, timeout, args):
    env = dict(os.environ)
    if args.threads:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(args.threads)
    with _spec_file(spec) as spec_path:
        return run_isolated([sys.executable, __file__, "--worker", str(spec_path)], timeout=timeout,
                            env=env)


def _failed_smaller(store: Checkpoints, lib, s, n, d, b, sizes) -> str | None:
    for m in sorted(x for x in sizes if x < n):
        r = store.get(f"cells/{cell_key(lib, s, m, d, b)}")
        if r and r.get("status") in ("timeout", "oom"):
            return f"not run: {r['status']} already at N={m}"
        if r and r.get("status") == "skipped":
            return r["error"]
    return None


def _fmt_status(r) -> str:
    if r is None:
        return "missing"
    if r["status"] == "ok":
        return f"{np.median(r['seconds']):.4f} s  {r['peak_extra_mib']:.1f} MiB  x{len(r['seconds'])}"
    return f"{r['status']}: {r.get('error', '')}"


# ---------------------------------------------------------------- report

def collect(store: Checkpoints, args) -> dict:
    cells = []
    for _, saved in store.items("cells/"):
        r = dict(saved)
        if r["status"] == "ok":
            r["median_s"] = float(np.median(r["seconds"]))
        cells.append(r)
    models = {}
    for _, m in store.items("pools/speed_N"):
        if m["n_labeled"] == args.n_labeled:
            models[f"N{m['n']}_d{m['d']}"] = m
    by = {(c["lib"], c["strategy"], c["n"], c["d"], c["batch"]): c for c in cells}
    for c in cells:
        base = by.get(("activelab", c["strategy"], c["n"], c["d"], c["batch"]))
        if c["lib"] != "activelab" and base and base["status"] == "ok" and c["status"] == "ok":
            c["ratio_vs_activelab"] = c["median_s"] / max(base["median_s"], 1e-9)
            c["memory_ratio_vs_activelab"] = (c["peak_extra_mib"] / base["peak_extra_mib"]
                                              if base["peak_extra_mib"] > 0 else None)
    libs = sorted({c["lib"] for c in cells}, key=_lib_order)
    return {
        "suite": "speed",
        "quick": bool(args.quick),
        "machine": machine(),
        "versions": versions(libs + ["numpy", "scikit-learn"]),
        "settings": {"threads": args.threads, "in_process": bool(args.in_process),
                     "n_labeled": args.n_labeled, "n_classes": N_CLASSES, "repeats": args.repeats,
                     "timeout_s": args.timeout, "mem_limit_gib": args.mem_limit / 2**30,
                     "memory": "peak RSS growth during the call (VmHWM reset via clear_refs)"},
        "models": models,
        "cells": cells,
        "scaling": scaling(cells),
        "verdicts": verdicts(cells),
    }


def _lib_order(lib):
    order = ["activelab", "numpy", "modal", "skactiveml", "alipy"]
    return order.index(lib) if lib in order else len(order)


def scaling(cells) -> list[dict]:
    """Exponent k of time ∝ N^k per (lib, strategy, d, batch): least squares in log-log."""
    groups = {}
    for c in cells:
        if c["status"] == "ok":
            groups.setdefault((c["lib"], c["strategy"], c["d"], c["batch"]), []).append(c)
    out = []
    for (lib, s, d, b), cs in sorted(groups.items(), key=lambda kv: (_lib_order(kv[0][0]), kv[0][1:])):
        if len({c["n"] for c in cs}) < 2:
            continue
        n = np.log([c["n"] for c in cs])
        t = np.log([max(c["median_s"], 1e-6) for c in cs])
        k = float(np.polyfit(n, t, 1)[0])
        out.append({"lib": lib, "strategy": s, "d": d, "batch": b, "exponent": k,
                    "sizes": sorted(c["n"] for c in cs)})
    return out


def verdicts(cells) -> list[dict]:
    """Every (peer cell) where activelab misses the issue's target: slower than the peer at any
    size, less than 10× (quadratic/looping algorithms) or 2× (vectorized) faster at N ≥ 10⁵, or
    heavier in memory (by more than 10 % and 1 MiB)."""
    by = {(c["lib"], c["strategy"], c["n"], c["d"], c["batch"]): c for c in cells}
    out = []
    for c in cells:
        if c["lib"] in ("activelab", "numpy"):
            continue
        base = by.get(("activelab", c["strategy"], c["n"], c["d"], c["batch"]))
        if base is None:
            continue
        need = (10.0 if c["strategy"] in QUADRATIC else 2.0) if c["n"] >= 100_000 else 1.0
        entry = {k: c[k] for k in ("lib", "strategy", "n", "d", "batch")}
        if base["status"] != "ok":
            out.append({**entry, "problem": f"activelab {base['status']}", "required": need})
            continue
        if c["status"] != "ok":
            continue  # the peer did not finish or ran out of memory: activelab wins the cell
        ratio = c["ratio_vs_activelab"]
        if ratio < need:
            out.append({**entry, "problem": "speed", "ratio": ratio, "required": need,
                        "activelab_s": base["median_s"], "peer_s": c["median_s"]})
        am, pm = base["peak_extra_mib"], c["peak_extra_mib"]
        if am > 1.1 * pm and am - pm > 1.0:
            out.append({**entry, "problem": "memory", "activelab_mib": am, "peer_mib": pm})
    return out


def _repeats_text(cells) -> str:
    """The run counts behind the medians, e.g. '3–7 runs' (cells may come from several runs)."""
    counts = sorted({len(c["seconds"]) for c in cells if c.get("seconds")})
    if not counts:
        return "no runs"
    return f"{counts[0]} runs" if len(counts) == 1 else f"{counts[0]}–{counts[-1]} runs"


def _limits_text(cells) -> str:
    """The limits the DNF cells actually hit (each cell keeps the one of the run that measured it)."""
    hit = sorted({int(m.group(1)) for c in cells if c.get("status") == "timeout"
                  for m in [re.search(r"in (\d+) s", c.get("error", ""))] if m})
    if not hit:
        return "that of the run that measured it (no cell hit it)"
    return "that of the run that measured it (DNF cells hit " + ", ".join(f"{h} s" for h in hit) + ")"


def render_markdown(res: dict) -> str:
    cells = res["cells"]
    by = {(c["lib"], c["strategy"], c["n"], c["d"], c["batch"]): c for c in cells}
    libs = sorted({c["lib"] for c in cells}, key=_lib_order)
    m = res["machine"]
    lines = [
        "# Speed: selection time and peak memory" + (" (quick mode)" if res["quick"] else ""),
        "",
        f"Machine: {m.get('cpus')} CPUs, {m.get('memory_gib')} GiB, load average at report "
        f"{m.get('load_average')}, Python {m.get('python')}, NumPy {m.get('numpy')}; "
        f"{res['settings']['n_labeled']} labeled rows, {res['settings']['n_classes']} classes, "
        f"median of {_repeats_text(res['cells'])} per cell, time limit {_limits_text(res['cells'])} "
        f"and {res['settings']['mem_limit_gib']:.0f} GiB extra memory per cell, BLAS threads per "
        f"worker: {res['settings'].get('threads') or os.environ.get('OPENBLAS_NUM_THREADS', 'default')}. Versions: "
        + ", ".join(f"{k} {v}" for k, v in res["versions"].items() if v) + ".",
        "",
        "Each cell: median seconds of the selection call / peak extra MiB; for peers, "
        "(×r) = peer time ÷ activelab time (higher = activelab faster). DNF (t s) = did not finish "
        "within t seconds; OOM = needed more memory than the cap; — = the library has no such "
        "strategy; blank = not run.",
        "",
    ]
    models = res.get("models", {})
    if models:
        lines += ["## The model's own predict_proba (not part of any selection time)", "",
                  "| pool | fit on labeled (s) | predict_proba on candidates (s) |", "|---|---|---|"]
        for key, mm in sorted(models.items(), key=lambda kv: (kv[1]["d"], kv[1]["n"])):
            lines.append(f"| N={mm['n']:,} d={mm['d']} | {mm['fit_s']:.3f} | {mm['predict_proba_s']:.3f} |")
        lines.append("")
    for d in sorted({c["d"] for c in cells}):
        for b in sorted({c["batch"] for c in cells if c["d"] == d}):
            lines += [f"## d = {d}, batch = {b}", "",
                      "| strategy | N | " + " | ".join(libs) + " |",
                      "|---|---|" + "---|" * len(libs)]
            for s in STRATEGIES:
                for n in sorted({c["n"] for c in cells}):
                    row = [_cell_text(by, lib, s, n, d, b) for lib in libs]
                    if all(x == "" for x in row):
                        continue
                    lines.append(f"| {s} | {n:,} | " + " | ".join(row) + " |")
            lines.append("")
    if res["scaling"]:
        lines += ["## Scaling exponent of time in N (log-log fit over the sizes that finished)", "",
                  "| strategy | d | batch | " + " | ".join(libs) + " |", "|---|---|---|" + "---|" * len(libs)]
        sc = {(x["lib"], x["strategy"], x["d"], x["batch"]): x for x in res["scaling"]}
        keys = sorted({(x["strategy"], x["d"], x["batch"]) for x in res["scaling"]},
                      key=lambda k: (STRATEGIES.index(k[0]) if k[0] in STRATEGIES else 99, k[1], k[2]))
        for s, d, b in keys:
            row = []
            for lib in libs:
                x = sc.get((lib, s, d, b))
                row.append(f"{x['exponent']:.2f}" if x else "")
            lines.append(f"| {s} | {d} | {b} | " + " | ".join(row) + " |")
        lines.append("")
    v = res["verdicts"]
    lines += ["## Where activelab misses the issue's targets", ""]
    if not v:
        lines.append("None among the cells that ran.")
    for x in v:
        where = f"{x['strategy']} N={x['n']:,} d={x['d']} b={x['batch']} vs {x['lib']}"
        if x["problem"] == "speed":
            lines.append(f"- speed: {where}: ×{x['ratio']:.2f} (needs ×{x['required']:.0f}; "
                         f"activelab {x['activelab_s']:.4f} s, peer {x['peer_s']:.4f} s)")
        elif x["problem"] == "memory":
            lines.append(f"- memory: {where}: activelab {x['activelab_mib']:.1f} MiB vs peer "
                         f"{x['peer_mib']:.1f} MiB")
        else:
            lines.append(f"- {where}: {x['problem']}")
    lines += ["", "![time vs N](speed.png)", ""]
    return "\n".join(lines)


def _cell_text(by, lib, s, n, d, b) -> str:
    c = by.get((lib, s, n, d, b))
    if c is None:
        impls = _impl_names(lib)
        return "—" if impls is not None and s not in impls else ""
    st = c["status"]
    if st == "ok":
        t = c["median_s"]
        txt = f"{t:.3g} s / {c['peak_extra_mib']:.0f} MiB"
        if "ratio_vs_activelab" in c:
            txt += f" (×{c['ratio_vs_activelab']:.3g})"
        if len(c["seconds"]) < 3:
            txt += f" [{len(c['seconds'])} run{'s' if len(c['seconds']) > 1 else ''}]"
        return txt
    if st == "timeout":  # with the limit it hit: cells may come from runs with different limits
        limit = re.search(r"in (\d+) s", c.get("error", ""))
        return f"DNF ({limit.group(1)} s)" if limit else "DNF"
    if st == "oom":
        return "OOM"
    if st == "skipped":
        return "DNF*" if "timeout" in c.get("error", "") else "OOM*"
    return f"error ({c.get('error', '')[:60]})"


def _impl_names(lib):
    try:
        return set(implementations(lib))
    except Exception:
        return None


def plot(res: dict, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    cells = [c for c in res["cells"] if c["status"] == "ok"]
    if not cells:
        return
    configs = sorted({(c["d"], c["batch"]) for c in cells})
    strategies = [s for s in STRATEGIES if any(c["strategy"] == s for c in cells)]
    fig, axes = plt.subplots(len(configs), len(strategies), figsize=(3.2 * len(strategies), 2.8 * len(configs)),
                             squeeze=False)
    libs = sorted({c["lib"] for c in cells}, key=_lib_order)
    for i, (d, b) in enumerate(configs):
        for j, s in enumerate(strategies):
            ax = axes[i][j]
            for lib in libs:
                pts = sorted((c["n"], c["median_s"]) for c in cells
                             if c["lib"] == lib and c["strategy"] == s and c["d"] == d and c["batch"] == b)
                if pts:
                    ax.loglog(*zip(*pts), marker="o", label=lib, lw=1.5,
                              ls="-" if lib == "activelab" else ("--" if lib == "numpy" else ":"))
            ax.set_title(f"{s} d={d} b={b}", fontsize=9)
            ax.grid(alpha=0.3, which="both")
            if i == len(configs) - 1:
                ax.set_xlabel("N (pool rows)")
            if j == 0:
                ax.set_ylabel("seconds")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def report(out: Path, store: Checkpoints, args) -> dict:
    res = collect(store, args)
    write_json(out / "speed.json", res)
    (out / "speed.md").write_text(render_markdown(res))
    plot(res, out / "speed.png")
    return res


# ---------------------------------------------------------------- CLI

def _ints(text: str) -> list[int]:
    return [int(float(x)) for x in text.split(",") if x.strip()]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="tiny pools, one process per library (CI)")
    p.add_argument("--out", type=Path, default=None, help="results folder (default benchmarks/results, "
                   "or benchmarks/results/quick with --quick)")
    p.add_argument("--sizes", type=_ints)
    p.add_argument("--dims", type=_ints)
    p.add_argument("--batches", type=_ints)
    p.add_argument("--strategies", type=lambda s: s.split(","), default=list(STRATEGIES))
    p.add_argument("--libs", type=lambda s: s.split(","), default=None,
                   help="default: activelab, numpy and every importable peer")
    p.add_argument("--repeats", type=int, default=None, help="runs per cell (default 3; 1 with --quick)")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per cell (default 10 min)")
    p.add_argument("--mem-limit-gb", type=float, default=DEFAULT_MEM_LIMIT / 2**30)
    p.add_argument("--max-minutes", type=float, default=0, help="stop starting new cells after this")
    p.add_argument("--force", action="store_true", help="rerun cells that are cached")
    p.add_argument("--in-process", action="store_true", help="run cells in this process, without "
                   "time or memory limits (default with --quick)")
    p.add_argument("--threads", type=int, default=0, help="BLAS/OpenMP threads of the workers (default: "
                   "OPENBLAS_NUM_THREADS, which this script sets to 1 when unset)")
    p.add_argument("--report-only", action="store_true",
                   help="rebuild speed.json/md/png from the checkpoint file, running nothing")
    p.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    grid = QUICK if args.quick else FULL
    args.sizes = args.sizes or grid["sizes"]
    args.dims = args.dims or grid["dims"]
    args.batches = args.batches or grid["batches"]
    args.n_labeled = grid.get("n_labeled", N_LABELED)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.quick:
        args.in_process = True
        args.timeout = min(args.timeout, 120.0)
    args.mem_limit = int(args.mem_limit_gb * 2**30)
    if args.libs is None:
        args.libs = ["activelab", "numpy"] + available_peers()
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        worker(args.worker)
        return 0
    out = args.out or (RESULTS / "quick" if args.quick else RESULTS)
    data = out / ".data"
    store = Checkpoints(checkpoint_file(out))
    if not args.report_only:
        run_grid(args, store, data)
        store.compact()
    res = report(out, store, args)
    print(f"wrote {out / 'speed.json'}, {out / 'speed.md'} ({len(res['cells'])} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
