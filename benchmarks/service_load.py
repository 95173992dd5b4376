"""Load and faults on the labeling service: N annotators label through the JSON API while the
retrain worker refits every K labels; then the server and the worker are killed, separately.

    .venv/bin/python benchmarks/service_load.py --annotators 50 --seconds 60
    .venv/bin/python benchmarks/service_load.py --db postgresql://postgres@127.0.0.1:54329/bench \\
        --annotators 200
    .venv/bin/python benchmarks/service_load.py --suite   # the README's table → results/service_load.json

A throw-away project (a synthetic 8-feature table, 2 classes, 5,000 rows) in a temporary folder;
`activelab serve` on 127.0.0.1 (a free port; nothing else is contacted) with its worker process as
in production. The load client is our own bounded asyncio client: each annotator loops
GET /api/next → think → POST /api/labels over one keep-alive connection. Think time is
exponential with mean --think seconds (default 2 s, a fast annotator: 30 labels a minute; --think
0 measures saturation instead).

The client shares the machine with the server, its worker and PostgreSQL, so it is kept cheap:
`RawClient`, a minimal HTTP/1.1 client over asyncio streams (Content-Length and chunked bodies,
keep-alive, reconnect) on uvloop, about a tenth of httpx's CPU per request. `--client httpx`
drives the same loop through httpx.AsyncClient on the standard event loop (what the figures
before 2026-12-02 used), to compare.

Figures: p50/p99 latency of next-item and submit, labels/s, retrains, the machine's load (load
average, CPU seconds of server, worker and client). `--faults` adds the crash runs: the server is
SIGKILLed mid-load and restarted (clients resend what they never heard back about, with the same
request_id), then the worker is SIGKILLed several times; after each, the database is checked:
every acknowledged label present once, none duplicated, no item handed to two annotators at once.
`--restarts N` times N restarts of a killed server until its first answer to /api/next.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

try:
    import uvloop
except ImportError:  # the standard event loop then
    uvloop = None

RESULTS = Path(__file__).resolve().parent / "results" / "service_load.json"
LABELS = ("neg", "pos")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, q: float) -> float | None:
    return round(float(np.percentile(np.asarray(values), q)), 1) if len(values) else None


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of a live process (Linux /proc; 0 elsewhere)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def postgres_cpu_seconds(db: str | None) -> float:
    """CPU seconds of the live PostgreSQL backends serving database `db` on this machine (their
    process titles name it; 0 for SQLite or a server elsewhere)."""
    if not db:
        return 0.0
    name = db.rpartition("/")[2].encode()
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            title = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"postgres: ") and b" " + name + b" " in title:
            total += cpu_seconds(int(proc.name))
    return total


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


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
    init_project(root / "project", data=root / "pool.csv", labels=",".join(LABELS), db_url=db)
    store = open_store(Project.open(root / "project"), db)
    try:
        write_settings(store, {"retrain_every": retrain_every, "queue_size": queue_size})
        tokens = [add_annotator(store, f"bench{i:03d}") for i in range(annotators)]
    finally:
        store.dispose()
    return tokens, {k: LABELS[int(v)] for k, v in zip(df["id"], y)}


class Server:
    """`activelab serve` in a subprocess, with its worker process."""

    def __init__(self, project: Path, db: str | None, log: Path) -> None:
        self.project, self.db, self.log = project, db, log
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, token: str, timeout: float = 120) -> float:
        """Start; returns seconds until GET /api/next answered 200."""
        cmd = [sys.executable, "-m", "activelab.service", "serve", str(self.project),
               "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if self.db:
            env["ACTIVELAB_DB"] = self.db
        t0 = time.perf_counter()
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env)
        with httpx.Client(timeout=5, headers={"Authorization": f"Bearer {token}"}) as c:
            while time.perf_counter() - t0 < timeout:
                if self.proc.poll() is not None:
                    raise SystemExit("the server exited:\n" + self.log.read_text()[-3000:])
                try:
                    if c.get(self.url + "/api/next").status_code == 200:
                        return time.perf_counter() - t0
                except httpx.HTTPError:
                    pass
                time.sleep(0.01)
        raise SystemExit("the server did not answer:\n" + self.log.read_text()[-3000:])

    def worker_pid(self) -> int | None:
        if self.proc is None:
            return None
        for pid in children(self.proc.pid):
            try:
                if b"worker_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return pid
            except OSError:  # gone meanwhile
                pass
        return None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Load:
    """What the clients saw."""

    next_ms: list[float] = field(default_factory=list)
    label_ms: list[float] = field(default_factory=list)
    acked: dict[str, str] = field(default_factory=dict)  # request_id -> item_id, answered 200
    holders: dict[str, int] = field(default_factory=dict)  # item_id -> annotator holding it
    double_leases: int = 0
    errors: list[str] = field(default_factory=list)
    outage_retries: int = 0
    requests: int = 0  # answered, measured or not
    trace: list[tuple[float, str, float]] = field(default_factory=list)  # (epoch s, kind, ms)


class TransportError(Exception):
    """The connection failed or closed before a whole answer came (the server is down)."""


class Reply:
    """An answer: `status_code`, `content` (bytes), `text`, `json()`."""

    __slots__ = ("content", "status_code")

    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code, self.content = status_code, content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)


class RawClient:
    """A minimal HTTP/1.1 keep-alive client over asyncio streams, for the load only: one
    connection, one request at a time, JSON bodies; reconnects after a failure. Reads
    Content-Length and chunked answers; any failure or timeout is a `TransportError`."""

    def __init__(self, url: str, headers: dict[str, str], timeout: float = 60) -> None:
        hostport = url.split("://", 1)[1].rstrip("/")
        self.host, _, port = hostport.partition(":")
        self.port = int(port or 80)
        self.timeout = timeout
        self._head = "".join(f"{k}: {v}\r\n" for k, v in
                             {"Host": hostport, **headers}.items()).encode("latin-1")
        self._reader = self._writer = None

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self._close()

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def request(self, method: str, path: str, json=None) -> Reply:
        body = b"" if json is None else _dumps(json)
        head = (f"{method} {path} HTTP/1.1\r\n".encode("latin-1") + self._head
                + (b"Content-Type: application/json\r\n" if json is not None else b"")
                + b"Content-Length: %d\r\n\r\n" % len(body))
        try:
            async with asyncio.timeout(self.timeout):
                if self._writer is None:
                    self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
                self._writer.write(head + body)
                return await self._read()
        except (OSError, EOFError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ValueError, TimeoutError) as exc:
            self._close()
            raise TransportError(f"{type(exc).__name__}: {exc}") from None

    async def _read(self) -> Reply:
        reader = self._reader
        status_line = await reader.readline()
        if not status_line:
            raise EOFError("connection closed")
        status = int(status_line.split(None, 2)[1])
        length, chunked, close = None, False, False
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n"):
                break
            if not line:
                raise EOFError("connection closed in the headers")
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = b"close" in value.lower()
        if chunked:
            parts = []
            while True:
                size = int((await reader.readline()).split(b";")[0], 16)
                if size == 0:
                    while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            content = b"".join(parts)
        elif length is not None:
            content = await reader.readexactly(length)
        else:
            content, close = await reader.read(), True
        if close:
            self._close()
        return Reply(status, content)


def _dumps(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def client_for(kind: str, url: str, headers: dict[str, str]):
    """The annotator's connection: `RawClient` ("raw") or httpx.AsyncClient ("httpx")."""
    if kind == "raw":
        return RawClient(url, headers, timeout=60)
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    return httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits)


async def annotate(i: int, token: str, url: str, truth: dict, load: Load, stop_at: float,
                   think: float, rng: random.Random, measuring, client: str = "raw") -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with client_for(client, url, headers) as c:

        async def call(method, path, body=None):
            """Send until the server answers (the same body, so the same request_id)."""
            while True:
                t0 = time.perf_counter()
                try:
                    r = await c.request(method, path, json=body)
                    load.requests += 1
                except (httpx.TransportError, TransportError):
                    load.outage_retries += 1
                    await asyncio.sleep(0.2)
                    continue
                if r.status_code in (502, 503, 504):
                    load.outage_retries += 1
                    await asyncio.sleep(0.2)
                    continue
                return r, (time.perf_counter() - t0) * 1000

        await asyncio.sleep(rng.random() * max(think, 0.05))  # annotators arrive spread out
        while time.monotonic() < stop_at:
            r, ms = await call("GET", "/api/next")
            if r.status_code != 200:
                load.errors.append(f"next {r.status_code}: {r.text[:200]}")
                await asyncio.sleep(0.5)
                continue
            if measuring():
                load.next_ms.append(ms)
                load.trace.append((time.time(), "next", ms))
            item = r.json()
            if item["done"]:
                return
            holder = load.holders.get(item["item_id"])
            if holder is not None and holder != i:
                load.double_leases += 1
            load.holders[item["item_id"]] = i
            if think:
                await asyncio.sleep(rng.expovariate(1 / think))
            body = {"item_id": item["item_id"], "label": truth[item["item_id"]],
                    "request_id": uuid.uuid4().hex}
            r, ms = await call("POST", "/api/labels", body)
            if r.status_code != 200:
                load.errors.append(f"label {r.status_code}: {r.text[:200]}")
                load.holders.pop(item["item_id"], None)
                continue
            load.holders.pop(item["item_id"], None)
            load.acked[body["request_id"]] = item["item_id"]
            if measuring():
                load.label_ms.append(ms)
                load.trace.append((time.time(), "label", ms))


def run_loop(coro, client: str = "raw"):
    """Run the load's event loop: uvloop for the raw client (when installed), else asyncio's.
    The client's own heap (numpy, SQLAlchemy, the project's setup) is frozen first: its full GC
    passes took 75-120 ms, stalling every request in flight and counting against the server."""
    from activelab.service.heap import freeze_startup_heap

    freeze_startup_heap()
    if client == "raw" and uvloop is not None:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(coro)
    return asyncio.run(coro)


async def drive(url, tokens, truth, seconds, think, seed, events=(), warmup=3.0,
                client: str = "raw") -> tuple[Load, float]:
    """Run the annotators for `seconds`; `events` are (at_seconds, callable) run meanwhile
    (the faults). Latencies are kept after `warmup` seconds and outside fault windows."""
    load = Load()
    start = time.monotonic()
    quiet = {"until": start + warmup}
    measuring = lambda: time.monotonic() >= quiet["until"]  # noqa: E731

    async def faults():
        for at, action in events:
            await asyncio.sleep(max(0.0, start + at - time.monotonic()))
            quiet["until"] = float("inf")
            await asyncio.to_thread(action)
            quiet["until"] = time.monotonic() + 2.0
    tasks = [annotate(i, t, url, truth, load, start + seconds, think, random.Random(seed * 1000 + i),
                      measuring, client) for i, t in enumerate(tokens)]
    await asyncio.gather(faults(), *tasks)
    return load, time.monotonic() - start


def check_log(project: Path, db: str | None, acked: dict[str, str]) -> dict:
    """Lost, duplicated and double-labeled counts, from the database."""
    from sqlalchemy import func, select

    from activelab.service.project import Project
    from activelab.service.runtime import open_store
    from activelab.service.tables import Event

    store = open_store(Project.open(project), db)
    try:
        with store.read() as s:
            rows = s.execute(select(Event.request_id).where(Event.kind == "label")).scalars().all()
            per_item = s.execute(select(Event.item_idx, func.count()).where(Event.kind == "label")
                                 .group_by(Event.item_idx).having(func.count() > 1)).all()
    finally:
        store.dispose()
    stored = set(rows)
    return {"acknowledged": len(acked), "lost": len(set(acked) - stored),
            "duplicated_request_ids": len(rows) - len(stored),
            "items_labeled_twice": len(per_item)}


def run(args) -> dict:
    seconds = min(args.seconds, 600)
    with tempfile.TemporaryDirectory(prefix="activelab-load-") as tmp:
        root = Path(tmp)
        db = args.db
        if db and args.fresh_pg:
            db = fresh_pg_database(db)
        tokens, truth = make_project(root, args.items, db, args.annotators, args.retrain_every,
                                     args.queue_size)
        server = Server(root / "project", db, root / "server.log")
        first_answer = server.start(tokens[0])
        try:
            time.sleep(1.0)  # let the worker rank the pool once (its cold start)
            load_before = os.getloadavg()
            cpu0 = {"server": cpu_seconds(server.proc.pid), "worker": cpu_seconds(server.worker_pid()),
                    "client": time.process_time(), "postgresql": postgres_cpu_seconds(db)}
            load, elapsed = run_loop(drive(server.url, tokens, truth, seconds, args.think,
                                           args.seed, client=args.client), args.client)
            cpu = {"server": cpu_seconds(server.proc.pid) - cpu0["server"],
                   "worker": cpu_seconds(server.worker_pid()) - cpu0["worker"],
                   "client": time.process_time() - cpu0["client"],
                   "postgresql": postgres_cpu_seconds(db) - cpu0["postgresql"]}
            load_after = os.getloadavg()
            result = {
                "backend": "postgresql" if db else "sqlite",
                "annotators": args.annotators, "think_s": args.think, "items": args.items,
                "seconds": round(elapsed, 1), "retrain_every": args.retrain_every,
                "labels": len(load.acked), "labels_per_s": round(len(load.acked) / elapsed, 1),
                "next_p50_ms": pct(load.next_ms, 50), "next_p99_ms": pct(load.next_ms, 99),
                "label_p50_ms": pct(load.label_ms, 50), "label_p99_ms": pct(load.label_ms, 99),
                "errors": len(load.errors), "double_leases": load.double_leases,
                "first_answer_s": round(first_answer, 2),
                "cpu_seconds": {k: round(v, 1) for k, v in cpu.items()},
                "client": args.client, "requests": load.requests,
                "cpu_ms_per_request": {k: round(1000 * cpu[k] / max(load.requests, 1), 2)
                                       for k in ("server", "postgresql", "client")},
                "loadavg_1min": [round(load_before[0], 2), round(load_after[0], 2)],
                "cpus": os.cpu_count(),
            }
            result["retrains"] = count_runs(root / "project", db)
            if args.trace:
                write_trace(args.trace, load, run_windows(root / "project", db))
            result.update(check_log(root / "project", db, load.acked))
            if load.errors:
                print(f"{len(load.errors)} errors, e.g. {load.errors[:3]}", file=sys.stderr)
            if args.restarts:
                times = []
                for _ in range(args.restarts):
                    server.kill()
                    times.append(server.start(tokens[0]))
                result["restart_to_first_answer_s"] = {
                    "n": len(times), "median": round(float(np.median(times)), 2),
                    "max": round(max(times), 2)}
            if args.faults:
                result["faults"] = faults(server, root / "project", db, tokens, truth, args)
        finally:
            server.stop()
            if db and args.fresh_pg:
                drop_pg_database(args.db, db)
    return result


def count_runs(project: Path, db: str | None) -> int:
    from sqlalchemy import func, select

    from activelab.service.project import Project
    from activelab.service.runtime import open_store
    from activelab.service.tables import Run

    store = open_store(Project.open(project), db)
    try:
        with store.read() as s:
            return int(s.scalar(select(func.count()).select_from(Run).where(Run.status == "ok")))
    finally:
        store.dispose()


def run_windows(project: Path, db: str | None) -> list[tuple[float, float, str]]:
    """Every retrain's (start, finish, status) in epoch seconds, for the trace."""
    from datetime import UTC

    from sqlalchemy import select

    from activelab.service.project import Project
    from activelab.service.runtime import open_store
    from activelab.service.tables import Run

    def epoch(t):
        return (t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp()

    store = open_store(Project.open(project), db)
    try:
        with store.read() as s:
            rows = s.execute(select(Run.started_at, Run.finished_at, Run.status)).all()
        return [(epoch(a), epoch(b), st) for a, b, st in rows if a is not None and b is not None]
    finally:
        store.dispose()


def write_trace(path: Path, load: Load, runs) -> None:
    """Every measured request (epoch s, next|label, ms) and every retrain (start, finish,
    status) as JSON: to see when the slow answers came, and whether a fit was running."""
    path.write_text(json.dumps({"requests": load.trace, "retrains": runs}) + "\n")


def faults(server: Server, project: Path, db, tokens, truth, args) -> dict:
    """SIGKILL the server once mid-load (restarted at once), then the worker every few seconds;
    the database must hold every acknowledged label once."""
    out = {}
    seconds = 24.0

    def kill_and_restart_server():
        server.kill()
        out["server_restart_s"] = round(server.start(tokens[0]), 2)

    load, _ = run_loop(drive(server.url, tokens, truth, seconds, args.think, args.seed + 1,
                             events=[(seconds / 3, kill_and_restart_server)], client=args.client),
                       args.client)
    out["server_sigkill"] = {**check_log(project, db, load.acked),
                             "double_leases": load.double_leases, "errors": len(load.errors),
                             "resent_after_outage": load.outage_retries}

    killed = []

    def kill_worker():
        deadline = time.monotonic() + 10  # a replacement may still be starting
        pid = server.worker_pid()
        while pid is None and time.monotonic() < deadline:
            time.sleep(0.1)
            pid = server.worker_pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    runs_before = count_runs(project, db)
    load2, _ = run_loop(drive(server.url, tokens, truth, seconds, args.think, args.seed + 2,
                              events=[(t, kill_worker) for t in (4, 9, 14)], client=args.client),
                        args.client)
    both = {**load.acked, **load2.acked}
    out["worker_sigkill"] = {**check_log(project, db, both), "workers_killed": len(killed),
                             "double_leases": load2.double_leases, "errors": len(load2.errors),
                             "retrains_meanwhile": count_runs(project, db) - runs_before}
    # the killed workers were replaced: a live one runs now (or within the supervisor's back-off)
    deadline = time.monotonic() + 15
    while server.worker_pid() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    out["worker_sigkill"]["worker_alive_after"] = server.worker_pid() is not None
    for name in ("server_sigkill", "worker_sigkill"):
        if not out[name]["acknowledged"]:  # e.g. the pool ran out: the run proved nothing
            print(f"warning: no label was acknowledged in the {name} run; use more --items",
                  file=sys.stderr)
    return out


def fresh_pg_database(admin_url: str) -> str:
    import psycopg

    from activelab.service.db import normalize_url  # noqa: F401 - same URL rules

    name = f"al_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


def drop_pg_database(admin_url: str, url: str) -> None:
    import psycopg

    name = url.rpartition("/")[2]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


SUITE = [  # (backend, annotators, think seconds): the targets, and 200 at a slower pace
    ("sqlite", 50, 2.0), ("postgresql", 50, 2.0), ("postgresql", 200, 2.0), ("postgresql", 200, 5.0),
]


def markdown(results: list[dict]) -> str:
    """The README's table from the suite's results."""
    rows = [("| database | annotators | think | labels/s | next p50 / p99 | submit p50 / p99 | "
             "CPU ms per request: server, PostgreSQL, client | "
             "restart → first answer (median, max) | SIGKILL server / worker: lost, duplicated, "
             "double leases | load avg (start → end) |"),
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        f = r.get("faults", {})
        srv, wrk = f.get("server_sigkill", {}), f.get("worker_sigkill", {})
        rs = r.get("restart_to_first_answer_s", {})
        cpu = r.get("cpu_ms_per_request", {})
        rows.append(
            f"| {r['backend']} | {r['annotators']} | {r['think_s']:g} s | {r['labels_per_s']} | "
            f"{r['next_p50_ms']} / {r['next_p99_ms']} ms | {r['label_p50_ms']} / {r['label_p99_ms']} ms | "
            f"{cpu.get('server', '–')}, {cpu.get('postgresql', '–') if r['backend'] == 'postgresql' else '–'}, "
            f"{cpu.get('client', '–')} | "
            f"{rs.get('median', '–')} s, {rs.get('max', '–')} s | "
            f"{srv.get('lost', '–')}, {srv.get('duplicated_request_ids', '–')}, {srv.get('double_leases', '–')} / "
            f"{wrk.get('lost', '–')}, {wrk.get('duplicated_request_ids', '–')}, {wrk.get('double_leases', '–')} "
            f"({wrk.get('workers_killed', 0)} workers killed) | "
            f"{r['loadavg_1min'][0]} → {r['loadavg_1min'][1]} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--annotators", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0, help="at most 600")
    ap.add_argument("--think", type=float, default=2.0, help="mean seconds an annotator looks at an item")
    ap.add_argument("--items", type=int, default=5000)
    ap.add_argument("--retrain-every", type=int, default=20)
    ap.add_argument("--queue-size", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--client", choices=["raw", "httpx"], default="raw",
                    help="the load client: our minimal HTTP/1.1 client on uvloop, or httpx (costlier)")
    ap.add_argument("--db", default=None, help="postgresql://… ; default SQLite in the project")
    ap.add_argument("--fresh-pg", action="store_true", help="--db is an admin URL: create and drop a database")
    ap.add_argument("--restarts", type=int, default=0, help="time this many server restarts")
    ap.add_argument("--faults", action="store_true", help="SIGKILL the server, then the worker")
    ap.add_argument("--suite", action="store_true",
                    help="the README's table (needs --db ADMIN_URL for PostgreSQL); writes " + str(RESULTS))
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--trace", type=Path, default=None,
                    help="write every measured request's time and latency, and the retrains' "
                         "windows, here (JSON; the load run only)")
    args = ap.parse_args()
    if args.suite:
        results = []
        for backend, n, think in SUITE:
            if backend == "postgresql" and not args.db:
                print("skipping PostgreSQL: no --db", file=sys.stderr)
                continue
            # enough items that the load and both fault runs never run out (~0.5 labels/s per
            # annotator at a 2 s pace, for 66 + 48 s)
            sub = argparse.Namespace(**{**vars(args), "annotators": n, "think": think,
                                        "items": max(args.items, 60 * n),
                                        "db": args.db if backend == "postgresql" else None,
                                        "fresh_pg": backend == "postgresql",
                                        "restarts": args.restarts or 5, "faults": True})
            results.append(run(sub))
            print(json.dumps(results[-1]), flush=True)
        RESULTS.write_text(json.dumps({"machine": machine(), "runs": results}, indent=2) + "\n")
        print(markdown(results))
        return
    result = run(args)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


def machine() -> dict:
    import platform

    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


if __name__ == "__main__":
    main()
