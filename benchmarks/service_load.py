"""Load on the labeling service: N annotators label as fast as they can for a bounded time.

    .venv/bin/python benchmarks/service_load.py --annotators 20 --seconds 20
    .venv/bin/python benchmarks/service_load.py --db postgresql://postgres@127.0.0.1:54329/bench

Creates a throw-away project (a synthetic 8-feature table, 2 classes) in a temporary folder,
starts `activelab serve` on 127.0.0.1 (a free port; nothing else is contacted), and has each
annotator loop GET /api/next → POST /api/labels with no think time. The retrain worker runs as in
production (every --retrain-every labels). Prints labels/s and the p50/p99 latency of next-item
and submit; --json writes the same figures to a file. Stops by itself after --seconds (≤ 300).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import numpy as np


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def make_project(root: Path, n_items: int, db: str | None, annotators: int, retrain_every: int,
                 queue_size: int):
    import pandas as pd

    from activelab.service import init_project
    from activelab.service.auth import add_annotator
    from activelab.service.project import Project
    from activelab.service.runtime import open_store
    from activelab.service.settings import write_settings

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n_items)
    X = rng.normal(size=(n_items, 8)) + y[:, None]
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(8)])
    df.insert(0, "id", [f"item-{i:06d}" for i in range(n_items)])
    df.to_csv(root / "pool.csv", index=False)
    init_project(root / "project", data=root / "pool.csv", labels="neg,pos", db_url=db)
    store = open_store(Project.open(root / "project"), db)
    try:
        write_settings(store, {"retrain_every": retrain_every, "queue_size": queue_size})
        tokens = [add_annotator(store, f"bench{i:03d}-{uuid.uuid4().hex[:6]}") for i in range(annotators)]
    finally:
        store.dispose()
    return tokens, dict(zip(df["id"], y))


def run(args) -> dict:
    seconds = min(args.seconds, 300)
    with tempfile.TemporaryDirectory(prefix="activelab-load-") as tmp:
        root = Path(tmp)
        tokens, truth = make_project(root, args.items, args.db, args.annotators, args.retrain_every,
                                     args.queue_size)
        port = free_port()
        cmd = [sys.executable, "-m", "activelab.service", "serve", str(root / "project"),
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        if args.db:
            cmd += ["--db", args.db]
        log = open(root / "server.log", "wb")
        server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  env={**os.environ, "PYTHONUNBUFFERED": "1"})
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(url + "/api/me", timeout=2).status_code == 401:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the server did not start:\n" + (root / "server.log").read_text())
                time.sleep(0.1)

            next_ms: list[float] = []
            label_ms: list[float] = []
            errors: list[str] = []
            lock = threading.Lock()
            barrier = threading.Barrier(len(tokens) + 1)
            stop_at = [0.0]

            def annotate(token: str) -> None:
                mine_next, mine_label = [], []
                with httpx.Client(base_url=url, timeout=60,
                                  headers={"Authorization": f"Bearer {token}"}) as c:
                    barrier.wait()
                    while time.monotonic() < stop_at[0]:
                        t0 = time.perf_counter()
                        r = c.get("/api/next")
                        t1 = time.perf_counter()
                        if r.status_code != 200:
                            errors.append(f"next {r.status_code}: {r.text[:200]}")
                            continue
                        item = r.json()
                        if item["done"]:
                            break
                        label = ("neg", "pos")[int(truth[item["item_id"]])]
                        r = c.post("/api/labels", json={"item_id": item["item_id"], "label": label,
                                                         "request_id": uuid.uuid4().hex})
                        t2 = time.perf_counter()
                        if r.status_code != 200:
                            errors.append(f"label {r.status_code}: {r.text[:200]}")
                            continue
                        mine_next.append((t1 - t0) * 1000)
                        mine_label.append((t2 - t1) * 1000)
                with lock:
                    next_ms.extend(mine_next)
                    label_ms.extend(mine_label)

            threads = [threading.Thread(target=annotate, args=(t,)) for t in tokens]
            for t in threads:
                t.start()
            start = time.monotonic()
            stop_at[0] = start + seconds
            barrier.wait()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - start
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tokens[0]}"}) as c:
                stats = c.get("/api/stats").json()
                runs = c.get("/api/progress").json()["runs"]
            if errors:
                print(f"{len(errors)} errors, e.g. {errors[:3]}", file=sys.stderr)
                print((root / "server.log").read_text()[-3000:], file=sys.stderr)
        finally:
            server.terminate()
            server.wait(30)
            log.close()
    return {
        "backend": "postgresql" if args.db else "sqlite",
        "annotators": args.annotators,
        "items": args.items,
        "seconds": round(elapsed, 1),
        "labels": len(label_ms),
        "labels_in_db": stats["labeled"],
        "labels_per_s": round(len(label_ms) / elapsed, 1),
        "next_p50_ms": round(percentile(next_ms, 50), 1),
        "next_p99_ms": round(percentile(next_ms, 99), 1),
        "label_p50_ms": round(percentile(label_ms, 50), 1),
        "label_p99_ms": round(percentile(label_ms, 99), 1),
        "label_mean_ms": round(statistics.fmean(label_ms), 1) if label_ms else None,
        "retrain_every": args.retrain_every,
        "retrains": len([r for r in runs if r["status"] == "ok"]),
        "errors": len(errors),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--annotators", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20.0, help="at most 300")
    ap.add_argument("--items", type=int, default=5000)
    ap.add_argument("--retrain-every", type=int, default=50)
    ap.add_argument("--queue-size", type=int, default=100)
    ap.add_argument("--db", default=None, help="postgresql://… (an empty database); default SQLite")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()
    result = run(args)
    for key, value in result.items():
        print(f"{key:>14}: {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
