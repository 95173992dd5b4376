"""Pool-scale benchmark (issue 15): selection on a Parquet pool larger than memory, on the
local and the Ray backend, against a plain pyarrow/NumPy reference over the same shards.

    .venv/bin/python benchmarks/pool_scale.py                  # 10⁸ rows × 32 in /tmp/activelab-pool
    .venv/bin/python benchmarks/pool_scale.py --quick          # 10⁶ rows (seconds), results/quick/
    .venv/bin/python benchmarks/pool_scale.py --rows 10000000 --dir /tmp/pool7 --out /tmp/p7.json
    .venv/bin/python benchmarks/pool_scale.py --skip-generate  # reuse the pool in --dir as it is

The pool (generated once, streamed to disk a row group at a time, never held whole): `--rows`
rows × 32 float32 columns ``f00``…``f31`` drawn from a fixed mixture of 16 Gaussians, an int64
``id`` (= the row's position) and an int8 ``y``, the label of a fixed linear teacher (10
classes); files of 10⁶ rows, row groups of 2¹⁸, snappy, plain encoding (dictionary only for
``y``). ``manifest.json`` in the folder records
what was written; a folder holding another pool is rewritten. Free disk is checked first: when
the pool (plus 5 %, at least 2 GiB, spare) does not fit, the largest multiple of a file that does
is generated instead, and the output says so.

Measured (1,000 labeled rows drawn at random from the whole pool, labels from ``y``; the features
are ``f00``…``f31``; the model is StandardScaler + LogisticRegression(max_iter=1000), activelab's
default, fitted on the labeled rows in position order):

- **reference**: plain pyarrow + NumPy in one process — per shard, each row group's features
  read (``ParquetFile.read_row_group``), ``predict_proba`` of the fitted model, margin
  ``1 − (p₍₁₎ − p₍₂₎)``, labeled ids dropped, the shard's top 1,000 kept; then an exact merge.
  The same over the shards on two processes (spawned and warmed before the clock starts) is the
  reference for the same two cores Ray uses. Before either, the labeled rows' features are read
  (the row groups holding them) and the model fitted ("reference gather + fit").
- **activelab**: ``activelab.query(ParquetPool(dir, features=f00…f31), labels={id: y},
  strategy=…, backend=…)``. Margin top-1,000 *cold* (a new ParquetPool and the unfitted model:
  the query scans the ids, gathers the labeled rows, fits, scores) and *warm* (the pool's id index
  kept from the cold query, the reference's fitted model passed: one scoring pass — what every
  later round costs). Core-set batch 100 (no model: standardized features, as in memory) on the
  warm pool. Ray: a local Ray started by the library (``activelab.backends.ray.start_ray``,
  timed apart), one actor per core; its cold query starts the actors, the warm ones reuse them.

activelab runs in a child process per backend (the "driver"; `--child`), which reports each
measurement as it finishes. Its address space may grow by at most `--mem-cap-gib` (default 12
GiB, set after Ray has started; the suites' convention, `common.cap_memory`), so an allocation
beyond it fails as an out-of-memory error in that measurement instead of the kernel killing a
neighbour's process; the parent also kills the child's process tree if the machine's available
memory falls under 2 GiB. When a cold query fails that way in the pool's id check, the later
queries get the pool's id cache seeded by the benchmark (the ids read with pyarrow, unique by
construction; `ParquetPool._index`, private) so the rest is still measured — the JSON says so.

Per measurement: wall seconds, rows/s (pool rows ÷ wall), CPU seconds of every process, peak RSS
of each process (the kernel's VmHWM, reset through ``/proc/PID/clear_refs`` before the call, for
this process and every process under it, i.e. the Ray processes; RSS also sampled over time),
bytes read by all of them (``/proc/PID/io`` rchar, page-cache hits included) ÷ the pool's file
bytes = passes over the data, and the load average before and after. Picks are compared: the
backends with each other, margin with the reference. BLAS runs single-threaded
(``OPENBLAS_NUM_THREADS=1`` unless set, as the other suites); activelab's local backend predicts
blocks on one thread per core, which the CPU seconds show.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, cap_memory, machine, read_json, write_json
from procwatch import (
    MIB,
    cached_bytes,
    descendants,
    mem_available,
    proc_info,
    to_mib,
    watched,
)

D, N_CLASSES, N_CLUSTERS = 32, 10, 16
N_LABELED, MARGIN_K, CORESET_BATCH = 1000, 1000, 100
ROWS_PER_FILE, ROW_GROUP = 10**6, 2**18
SEED = 0
FEATURES = [f"f{j:02d}" for j in range(D)]
BYTES_PER_ROW = 8 + 4 * D + 1  # id, features, teacher label (snappy cannot shrink Gaussian floats)
DEFAULT_DIR = Path("/tmp/activelab-pool")
#: Plain pages for the floats and ids: pyarrow's default dictionary encoding, on unique floats and
#: row groups of 2¹⁸ rows, never falls back to plain and stores 202 B/row instead of 137 (measured).
ENCODING = "plain, dictionary for y only"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.2f}] {msg}", flush=True)


# ---- the pool ---------------------------------------------------------------------------------

def _mixture():
    rng = np.random.default_rng([SEED, 999])
    centers = rng.normal(0.0, 3.0, size=(D, N_CLUSTERS)).astype(np.float32)
    scales = rng.uniform(0.5, 1.5, size=N_CLUSTERS).astype(np.float32)
    W = rng.standard_normal((N_CLASSES, D)).astype(np.float32)
    b = rng.standard_normal(N_CLASSES).astype(np.float32)
    return centers, scales, W, b


def _layout(rows: int) -> list[int]:
    per_file = min(ROWS_PER_FILE, max(1, -(-rows // 8)))  # at least 8 files for small pools
    return [min(per_file, rows - s) for s in range(0, rows, per_file)]


def ensure_pool(folder: Path, rows: int, skip: bool) -> dict:
    """The pool in `folder` (its manifest), generated unless a matching one is there."""
    mpath = folder / "manifest.json"
    old = json.loads(mpath.read_text()) if mpath.exists() else None
    if skip:
        if old is None:
            sys.exit(f"--skip-generate: no pool in {folder} (no manifest.json)")
        old["generated_now"] = False
        return old
    if old and old.get("rows") == rows and old.get("seed") == SEED \
            and old.get("encoding") == ENCODING and all(
            (folder / f).exists() for f in old["files"]):
        old["generated_now"] = False
        return old
    folder.mkdir(parents=True, exist_ok=True)
    reclaim = sum(f.stat().st_size for f in folder.glob("part-*.parquet"))
    free = shutil.disk_usage(folder).free + reclaim
    need = lambda n: n * BYTES_PER_ROW * 1.02
    spare = max(2 * 2**30, 0.05 * free)
    asked, note = rows, None
    if need(rows) + spare > free:
        per_file = _layout(rows)[0]
        rows = int((free - spare) / (BYTES_PER_ROW * 1.02) // per_file * per_file)
        if rows <= 0:
            sys.exit(f"{folder}: {free / 2**30:.1f} GiB free, not enough for one file of the pool")
        note = (f"{asked:,} rows need {need(asked) / 1e9:.1f} GB + {spare / 1e9:.1f} GB spare; "
                f"{free / 1e9:.1f} GB free: generated {rows:,} rows instead")
        log(note)
    for f in folder.glob("part-*.parquet"):
        f.unlink()
    mpath.unlink(missing_ok=True)
    import pyarrow as pa
    import pyarrow.parquet as pq

    centers, scales, W, b = _mixture()
    schema = pa.schema([("id", pa.int64())] + [(c, pa.float32()) for c in FEATURES] + [("y", pa.int8())])
    files, start, t0 = [], 0, time.perf_counter()
    layout = _layout(rows)
    for i, n in enumerate(layout):
        rng = np.random.default_rng([SEED, i])
        path = folder / f"part-{i:05d}.parquet"
        tmp = folder / f"part-{i:05d}.tmp"
        with pq.ParquetWriter(tmp, schema, compression="snappy", use_dictionary=["y"]) as writer:
            for a in range(0, n, ROW_GROUP):
                m = min(ROW_GROUP, n - a)
                c = rng.integers(N_CLUSTERS, size=m)
                X = rng.standard_normal((D, m), dtype=np.float32)  # feature-major: columns contiguous
                X *= scales[c]
                X += centers[:, c]
                y = np.argmax(W @ X + b[:, None], axis=0).astype(np.int8)
                cols = [pa.array(np.arange(start + a, start + a + m, dtype=np.int64))]
                cols += [pa.array(X[j]) for j in range(D)] + [pa.array(y)]
                writer.write_table(pa.Table.from_arrays(cols, schema=schema), row_group_size=ROW_GROUP)
        os.replace(tmp, path)
        files.append(path.name)
        start += n
        if (i + 1) % 10 == 0 or i + 1 == len(layout):
            log(f"generated {i + 1}/{len(layout)} files, {start:,} rows")
    seconds = time.perf_counter() - t0
    sizes = [(folder / f).stat().st_size for f in files]
    manifest = {"rows": rows, "rows_asked": asked, "note": note, "seed": SEED, "d": D,
                "files": files, "rows_per_file": layout, "row_group": ROW_GROUP,
                "compression": "snappy", "encoding": ENCODING, "bytes": int(sum(sizes)),
                "bytes_per_row": sum(sizes) / rows, "generation_s": round(seconds, 1),
                "generated": time.strftime("%Y-%m-%d %H:%M:%S"), "load_during": os.getloadavg()}
    write_json(mpath, manifest)
    manifest["generated_now"] = True
    return manifest


def make_labels(folder: Path, manifest: dict) -> tuple[np.ndarray, dict]:
    """(sorted labeled positions, {id: teacher label}); only the int8 label column is read."""
    import pyarrow.parquet as pq

    rows = manifest["rows"]
    pos = np.sort(np.random.default_rng([SEED, 1]).choice(rows, size=min(N_LABELED, rows // 2),
                                                            replace=False))
    offsets = np.cumsum([0] + manifest["rows_per_file"])
    labels = {}
    for i, f in enumerate(manifest["files"]):
        here = pos[(pos >= offsets[i]) & (pos < offsets[i + 1])]
        if here.shape[0]:
            t = pq.read_table(folder / f, columns=["id", "y"])
            ids, y = t.column("id").to_numpy(), t.column("y").to_numpy()
            for r in here - offsets[i]:
                labels[int(ids[r])] = int(y[r])
    return pos, labels


# ---- the reference ----------------------------------------------------------------------------

def model_prototype():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=1000))])


def _row_group_X(t) -> tuple[np.ndarray, np.ndarray]:
    ids = t.column(0).to_numpy()
    X = np.empty((t.num_rows, D), dtype=np.float32)
    for j in range(D):
        X[:, j] = t.column(j + 1).to_numpy()
    return ids, X


def reference_fit(folder: Path, manifest: dict, pos: np.ndarray, labels: dict):
    """Read the labeled rows' features (the row groups holding them) and fit the model."""
    import pyarrow.parquet as pq

    offsets = np.cumsum([0] + manifest["rows_per_file"])
    parts = []
    for i, f in enumerate(manifest["files"]):
        here = pos[(pos >= offsets[i]) & (pos < offsets[i + 1])] - offsets[i]
        if not here.shape[0]:
            continue
        pf = pq.ParquetFile(folder / f)
        groups = sorted(set((here // ROW_GROUP).tolist()))
        t = pf.read_row_groups(groups, columns=["id", *FEATURES], use_threads=False)
        # every row group holds ROW_GROUP rows but a file's last, which comes last here
        starts = {g: k for k, g in enumerate(groups)}
        rows = np.array([starts[r // ROW_GROUP] * ROW_GROUP + r % ROW_GROUP for r in here])
        _, X = _row_group_X(t.take(rows))
        parts.append(X)
    X_lab = np.concatenate(parts)
    y = np.array([labels[int(p)] for p in pos])  # id = position in this pool
    return model_prototype().fit(X_lab, y)


def reference_shard(path: str, model, labeled_ids: np.ndarray, k: int):
    """Top-k margin (ids, scores) of one shard, read a row group at a time."""
    import pyarrow.parquet as pq

    t_cpu = time.process_time()
    pf = pq.ParquetFile(path)
    best_ids, best = np.empty(0, dtype=np.int64), np.empty(0)
    for g in range(pf.metadata.num_row_groups):
        ids, X = _row_group_X(pf.read_row_group(g, columns=["id", *FEATURES], use_threads=False))
        P = model.predict_proba(X)
        top2 = np.partition(P, P.shape[1] - 2, axis=1)[:, -2:].astype(np.float64)
        score = 1.0 - (top2[:, 1] - top2[:, 0])  # float64, as activelab: no ties from rounding
        keep = ~np.isin(ids, labeled_ids)
        ids, score = np.concatenate([best_ids, ids[keep]]), np.concatenate([best, score[keep]])
        if score.shape[0] > k:
            top = np.argpartition(-score, k - 1)[:k]
            ids, score = ids[top], score[top]
        best_ids, best = ids, score
    hwm = proc_info(os.getpid())["hwm"]
    return best_ids, best, time.process_time() - t_cpu, os.getpid(), hwm


def merge_top(parts, k: int) -> tuple[np.ndarray, int]:
    """Exact global top-k by (score desc, id asc); and how many rows outside it tie with the
    k-th score (0: the top-k set is unique, whatever the tie-breaking)."""
    ids = np.concatenate([p[0] for p in parts])
    score = np.concatenate([p[1] for p in parts])
    order = np.lexsort((ids, -score))
    return ids[order[:k]], int((score[order[k:]] == score[order[k - 1]]).sum())


def _warm(model):
    import pyarrow.parquet  # noqa: F401 - import and unpickling costs outside the clock

    model.predict_proba(np.zeros((4, D), dtype=np.float32))
    return os.getpid()


# ---- activelab, in a child process per backend ------------------------------------------------

def seed_index(pool, paths: list[Path]) -> None:
    """Give `pool` the id index a first query caches (its ids in row order), read with pyarrow:
    only when that first query could not build it (unique ids by construction here)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    ids = pa.concat_arrays([pq.read_table(p, columns=["id"]).column(0).combine_chunks() for p in paths])
    pool._index = (pool.fingerprint(), ids)  # private: the cache `activelab.query` keeps


def child_main(args) -> None:
    st = pickle.loads(args.state.read_bytes())
    backend, rows, interval = args.child, st["rows"], st["interval"]
    paths, pool_bytes = st["paths"], st["pool_bytes"]
    out = {"runs": {}, "picks": {}, "notes": []}

    def save():
        write_json(args.child_out, out)

    import activelab
    from activelab import ParquetPool

    out["activelab_file"] = activelab.__file__
    if backend == "ray":
        from activelab.backends.ray import start_ray

        _, out["runs"]["ray_start"] = watched(lambda: start_ray(None), interval, pool_bytes, paths)
        log(f"Ray started in {out['runs']['ray_start']['wall_s']} s")
        ray = start_ray(None)
        out["ray_worker_activelab_file"] = ray.get(
            ray.remote(lambda: __import__("activelab").__file__).remote())
    if args.mem_cap_gib > 0:
        cap_memory(int(args.mem_cap_gib * 2**30))
        out["mem_cap_gib"] = args.mem_cap_gib
    pool = ParquetPool(st["folder"], features=FEATURES)
    jobs = []
    if "margin" in st["strategies"]:
        jobs += [("margin_cold", "margin", model_prototype(), MARGIN_K),
                 ("margin_warm", "margin", st["fitted"], MARGIN_K)]
    if "coreset" in st["strategies"]:
        jobs += [("coreset" if b == CORESET_BATCH else f"coreset_b{b}", "coreset", None, b)
                 for b in st["coreset_batches"]]
    seeded = False
    for name, strategy, model, k in jobs:
        def query(strategy=strategy, model=model, k=k):
            return activelab.query(pool, labels=st["labels"], strategy=strategy, model=model,
                                   batch_size=k, random_state=SEED, backend=backend)

        key = f"{name}_{backend}"
        picks, r = watched(query, interval, pool_bytes, paths, catch=True)
        if "error" in r and not seeded and getattr(pool, "_index", None) is None:
            log(f"{key} failed ({r['error']}: {r['message'][:120]} at {r['where'][-1:]}); "
                "seeding the pool's id cache for the next queries")
            seed_index(pool, paths)
            seeded = True
            out["notes"].append(f"{key} failed before the pool's id index existed; the later "
                                "queries ran with the id cache seeded by the benchmark")
            if name != "margin_cold":
                out["runs"][key + "_failed"] = r
                picks, r = watched(query, interval, pool_bytes, paths, catch=True)
        r["rows_per_s"] = None if "error" in r else round(rows / r["wall_s"])
        r["id_index_seeded_by_benchmark"] = seeded and name != "margin_cold"
        out["runs"][key] = r
        if picks is not None:
            out["picks"][key] = np.asarray(picks).tolist()
        log(f"{key}: {r.get('error', 'ok')} {r['wall_s']} s, {r['read_passes']} passes, peaks "
            + ", ".join(f"{p['name']} {p['peak_rss_mib']:.0f}" for p in r["procs"]
                        if p["name"] in ("driver", "ray::ShardWorker")) + " MiB")
        save()
    if backend == "ray":
        from activelab.backends.ray import release

        release()
    save()


def snapshot_source(dest: Path) -> dict:
    """Copy the activelab package this venv imports into `dest`, for the children (and their Ray
    workers) to import through PYTHONPATH: every backend of a run then runs the same code, even
    while the working tree is being edited. Returns what identifies that code."""
    import hashlib
    import importlib.util

    src = Path(importlib.util.find_spec("activelab").submodule_search_locations[0])
    shutil.copytree(src, dest / "activelab", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    digest = hashlib.sha256()
    for f in sorted((dest / "activelab").rglob("*.py")):
        digest.update(f.relative_to(dest).as_posix().encode() + f.read_bytes())
    return {"copied_from": str(src), "sha256": digest.hexdigest()[:16], **_git()}


def run_child(backend: str, state: Path, child_out: Path, args, pythonpath: Path) -> dict:
    """Run `--child backend`; kill its process tree if the machine runs out of memory."""
    child_out.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", backend, "--state", str(state),
           "--child-out", str(child_out), "--mem-cap-gib", str(args.mem_cap_gib)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(pythonpath)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    proc = subprocess.Popen(cmd, env=env)
    low, killed, t0 = 1 << 62, None, time.perf_counter()
    while proc.poll() is None:
        time.sleep(0.5)
        avail = mem_available()
        low = min(low, avail)
        over = time.perf_counter() - t0 > args.max_minutes * 60
        if (avail < GUARD_BYTES or over) and killed is None:
            killed = ("the machine's available memory fell to "
                      f"{avail / MIB:.0f} MiB" if not over else f"over {args.max_minutes} minutes")
            log(f"killing the {backend} child: {killed}")
            for pid in reversed(descendants(proc.pid)):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
    res = read_json(child_out) or {"runs": {}, "picks": {}, "notes": []}
    if not str(res.get("activelab_file", pythonpath)).startswith(str(pythonpath)):
        res["notes"].append(f"the {backend} child imported activelab from {res['activelab_file']}, "
                            "not from the run's snapshot")
    res.update(exit_code=proc.returncode, killed=killed, min_mem_available_mib=round(low / MIB))
    return res


GUARD_BYTES = 2 * 2**30


# ---- the parent ----------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=10**8)
    ap.add_argument("--quick", action="store_true", help="10⁶ rows, into results/quick/")
    ap.add_argument("--dir", type=Path, default=None, help=f"pool folder (default {DEFAULT_DIR}, "
                    "or DEFAULT-<rows> for other sizes)")
    ap.add_argument("--out", type=Path, default=None, help="JSON (default results/pool_scale.json)")
    ap.add_argument("--skip-generate", action="store_true", help="use the pool in --dir as it is")
    ap.add_argument("--generate-only", action="store_true", help="write the pool and stop")
    ap.add_argument("--backends", default="local,ray")
    ap.add_argument("--strategies", default="margin,coreset")
    ap.add_argument("--coreset-batches", default=str(CORESET_BATCH),
                    help="comma-separated core-set batch sizes (the cost of one pick)")
    ap.add_argument("--mem-cap-gib", type=float, default=12.0,
                    help="address space a driver may add (0: no cap)")
    ap.add_argument("--max-minutes", type=float, default=240.0, help="per backend")
    ap.add_argument("--report-only", action="store_true", help="rewrite the .md from --out's JSON")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--state", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--child-out", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child_main(args)
    rows = 10**6 if args.quick else args.rows
    folder = args.dir or (DEFAULT_DIR if rows == 10**8 else Path(f"{DEFAULT_DIR}-{rows}"))
    out = args.out or (RESULTS / "quick" / "pool_scale.json" if args.quick else RESULTS / "pool_scale.json")
    if args.report_only:
        out.with_suffix(".md").write_text(report(json.loads(out.read_text())))
        return log(f"wrote {out.with_suffix('.md')}")
    backends = [b for b in args.backends.split(",") if b]
    strategies = [s for s in args.strategies.split(",") if s]
    coreset_batches = [int(b) for b in args.coreset_batches.split(",") if b]
    load_start = os.getloadavg()
    log(f"pool {rows:,} rows in {folder}; {os.cpu_count()} CPUs")

    manifest = ensure_pool(folder, rows, args.skip_generate)
    if args.generate_only:
        log(f"{manifest['rows']:,} rows, {manifest['bytes'] / 1e9:.2f} GB in {folder} "
            f"({manifest['generation_s']} s to generate)")
        return
    rows, pool_bytes = manifest["rows"], manifest["bytes"]
    paths = [folder / f for f in manifest["files"]]
    interval = 0.2 if rows <= 10**7 else 1.0
    result = {"config": {"rows": rows, "d": D, "classes": N_CLASSES, "labeled": N_LABELED,
                         "margin_k": MARGIN_K, "coreset_batch": CORESET_BATCH, "seed": SEED,
                         "folder": str(folder), "backends": backends, "strategies": strategies,
                         "coreset_batches": coreset_batches,
                         "mem_cap_gib": args.mem_cap_gib},
              "machine": machine(), "pool": manifest, "runs": {}, "checks": {},
              "notes": [], "load_start": [round(x, 2) for x in load_start]}
    runs = result["runs"]

    def save():
        result["load_end"] = [round(x, 2) for x in os.getloadavg()]
        write_json(out, result)

    pos, labels = make_labels(folder, manifest)
    labeled_ids = np.array(sorted(labels), dtype=np.int64)
    result["page_cache_before_mib"] = to_mib(cached_bytes(paths))
    log(f"{len(labels)} labels; {pool_bytes / 1e9:.2f} GB on disk, "
        f"{result['page_cache_before_mib']} MiB of it in the page cache")

    import pyarrow.parquet as pq

    def read_pass():  # the floor of any pass; also brings the files into the page cache
        n = 0
        for p in paths:
            pf = pq.ParquetFile(p)
            for g in range(pf.metadata.num_row_groups):
                n += pf.read_row_group(g, columns=["id", *FEATURES], use_threads=False).num_rows
        return n

    _, runs["pyarrow_read_pass"] = watched(read_pass, interval, pool_bytes, paths)
    log(f"pyarrow read pass {runs['pyarrow_read_pass']['wall_s']} s")
    fitted, runs["reference_gather_fit"] = watched(
        lambda: reference_fit(folder, manifest, pos, labels), interval, pool_bytes, paths)
    picks = {}

    def references(tag: str) -> None:
        """The margin reference on one process, then on two (`tag` tells the repeats apart)."""
        def ref1():
            return merge_top([reference_shard(str(p), fitted, labeled_ids, MARGIN_K) for p in paths], MARGIN_K)

        (picks["reference_1proc" + tag], ties), runs["margin_reference_1proc" + tag] = watched(
            ref1, interval, pool_bytes, paths)
        result["checks"]["reference_ties_left_out_at_kth"] = ties
        log(f"margin reference{tag}, 1 process: {runs['margin_reference_1proc' + tag]['wall_s']} s")

        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")) as ex:
            list(ex.map(_warm, [fitted] * 8))

            def ref2():
                parts = list(ex.map(reference_shard, map(str, paths), [fitted] * len(paths),
                                    [labeled_ids] * len(paths), [MARGIN_K] * len(paths)))
                return merge_top(parts, MARGIN_K)[0], parts

            (picks["reference_2proc" + tag], parts), r = watched(ref2, interval, pool_bytes, paths)
        r["worker_peak_rss_mib"] = {str(pid): round(h / MIB, 1) for *_, pid, h in parts}
        runs["margin_reference_2proc" + tag] = r
        log(f"margin reference{tag}, 2 processes: {r['wall_s']} s")

    if "margin" in strategies:
        references("")
    save()

    import tempfile

    snapshot = Path(tempfile.mkdtemp(prefix="pool_scale_src_"))
    result["source"] = snapshot_source(snapshot)
    state = out.parent / f".pool_scale_state_{os.getpid()}.pkl"
    state.write_bytes(pickle.dumps({"folder": str(folder), "labels": labels, "fitted": fitted,
                                    "rows": rows, "pool_bytes": pool_bytes, "paths": paths,
                                    "interval": interval, "strategies": strategies,
                                    "coreset_batches": coreset_batches}))
    try:
        for backend in backends:
            child_out = out.parent / f".pool_scale_{backend}_{os.getpid()}.json"
            res = run_child(backend, state, child_out, args, snapshot)
            child_out.unlink(missing_ok=True)
            runs.update(res["runs"])
            picks.update({k: np.asarray(v) for k, v in res["picks"].items()})
            result["notes"] += res["notes"]
            result[f"child_{backend}"] = {k: res.get(k) for k in (
                "exit_code", "killed", "min_mem_available_mib", "mem_cap_gib", "activelab_file",
                "ray_worker_activelab_file")}
            save()
    finally:
        state.unlink(missing_ok=True)
        shutil.rmtree(snapshot, ignore_errors=True)
    if "margin" in strategies:  # again, to see how much the machine's load moved the reference
        references("_end")
        save()

    for r in runs.values():
        if "rows_per_s" not in r:
            r["rows_per_s"] = round(rows / r["wall_s"]) if "error" not in r else None
    _checks(result, picks)
    _ratios(result)
    result["picks_first_20"] = {k: v[:20].tolist() for k, v in picks.items()}
    save()
    text = report(result)
    print(text)
    out.with_suffix(".md").write_text(text)
    log(f"wrote {out} and {out.with_suffix('.md')}")


def _git() -> dict:
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=root, capture_output=True,
                               text=True, check=False).stdout.split("\n")
        return {"head": head, "uncommitted_src": [d.strip() for d in dirty if d.strip()]}
    except OSError:
        return {}


def _checks(result: dict, picks: dict) -> None:
    c = result["checks"]
    for a, b in [("margin_cold_local", "margin_cold_ray"), ("margin_warm_local", "margin_warm_ray"),
                 ("margin_cold_local", "margin_warm_local"), ("coreset_local", "coreset_ray"),
                 *[(f"coreset_b{b}_local", f"coreset_b{b}_ray") for b in result["config"]["coreset_batches"]],
                 ("reference_1proc", "reference_2proc"), ("reference_1proc", "reference_1proc_end")]:
        if a in picks and b in picks:
            c[f"{a} == {b}"] = bool(np.array_equal(picks[a], picks[b]))
    for a in ("margin_cold_local", "margin_warm_local", "margin_cold_ray", "margin_warm_ray"):
        if a in picks and "reference_1proc" in picks:
            ref = picks["reference_1proc"]
            c[f"{a} == reference (same set)"] = set(picks[a].tolist()) == set(ref.tolist())
            c[f"{a} == reference (same order)"] = bool(np.array_equal(picks[a], ref))


def _ratios(result: dict) -> None:
    """activelab's margin ÷ the reference, wall and CPU; the reference time is the mean of its
    runs before and after activelab's (their spread shows how much the load moved)."""
    runs, out = result["runs"], {}

    def ref(name, key):
        vals = [runs[n][key] for n in (name, name + "_end") if n in runs]
        return sum(vals) / len(vals) if vals else None

    ref1, ref1_cpu = ref("margin_reference_1proc", "wall_s"), ref("margin_reference_1proc", "cpu_s")
    ref2 = ref("margin_reference_2proc", "wall_s")
    for name, r in runs.items():
        if not name.startswith("margin_") or "reference" in name or "error" in r:
            continue
        if ref1:
            out[f"{name} / reference 1 process (wall)"] = round(r["wall_s"] / ref1, 3)
            out[f"{name} / reference (CPU s)"] = round(r["cpu_s"] / ref1_cpu, 3)
        if ref2:
            out[f"{name} / reference 2 processes (wall)"] = round(r["wall_s"] / ref2, 3)
    result["ratios"] = out


def _peaks(r: dict) -> str:
    by, drv = defaultdict(list), None
    for p in r["procs"]:
        if p["name"] == "driver":
            drv = p
        else:
            by[p["name"]].append(p["peak_rss_mib"])
    parts = [f"driver {drv['peak_rss_mib']:.0f} (+{drv['peak_rss_mib'] - drv['rss_before_mib']:.0f})"]
    if "ray::ShardWorker" in by:
        parts.append("Ray workers " + "/".join(f"{x:.0f}" for x in by.pop("ray::ShardWorker")))
    if r.get("worker_peak_rss_mib"):
        parts.append("workers " + "/".join(f"{x:.0f}" for x in r["worker_peak_rss_mib"].values()))
        by.pop("python", None)  # the pool's processes, listed above
    other = sum(x for v in by.values() for x in v)
    if other > 50:  # Ray's own processes (raylet, gcs, agents, idle workers), helpers
        parts.append(f"other processes {other:.0f}")
    return ", ".join(parts)


def report(result: dict) -> str:
    cfg, m, pool = result["config"], result["machine"], result["pool"]
    lines = [(f"# Pool scale: {cfg['rows']:,} rows × {cfg['d']} float32, {len(pool['files'])} "
              f"Parquet files, {pool['bytes'] / 1e9:.2f} GB on disk"),
             "",
             (f"{m['date']}, {m['cpus']} CPUs, {m.get('memory_gib')} GiB RAM; load average at start "
              f"{result['load_start']}, at end {result['load_end']}; page cache held "
              f"{result.get('page_cache_before_mib')} MiB of the pool before the first read. "
              f"Generation: {pool['generation_s']} s "
              f"({'this run' if pool.get('generated_now') else pool['generated']}). "
              f"Drivers capped at +{cfg['mem_cap_gib']} GiB of address space."),
             "",
             ("| measurement | wall s | rows/s | CPU s (all processes) | passes read | peak RSS MiB "
              "(driver: + over its RSS before) | pool in page cache before, MiB | machine busy / "
              "iowait | load 1-min before → after |"),
             "|---|---|---|---|---|---|---|---|---|"]
    for name, r in result["runs"].items():
        wall = f"{r['wall_s']:.2f}" if "error" not in r else \
            f"**{r['error']}** after {r['wall_s']:.1f} ({'; '.join(r['where'][-2:])})"
        seeded = " (id cache seeded)" if r.get("id_index_seeded_by_benchmark") else ""
        rate = f"{r['rows_per_s']:,}" if r.get("rows_per_s") else "—"
        share = r.get("machine_cpu_share")
        share = f"{share['busy']:.0%} / {share['iowait']:.0%}" if share else "—"
        lines.append(f"| {name}{seeded} | {wall} | {rate} | {r['cpu_s']:.1f} | {r['read_passes']} | "
                     f"{_peaks(r)} | {r.get('page_cache_before_mib', '—')} | {share} | "
                     f"{r['load_before'][0]} → {r['load_after'][0]} |")
    lines += ["", "Ratios (activelab ÷ reference; 1.25 = 25 % overhead):", ""]
    lines += [f"- {k}: {v}" for k, v in result.get("ratios", {}).items()]
    lines += ["", "Checks:", ""] + [f"- {k}: {v}" for k, v in result["checks"].items()]
    for b in cfg["backends"]:
        c = result.get(f"child_{b}", {})
        lines.append(f"- {b} driver process: exit code {c.get('exit_code')}, killed: "
                     f"{c.get('killed')}, lowest available memory {c.get('min_mem_available_mib')} MiB")
    notes = result["notes"] + ([pool["note"]] if pool.get("note") else [])
    if notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
