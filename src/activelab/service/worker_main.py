"""The retrain worker as a process of its own (``python -m activelab.service.worker_main PROJECT``):
what `activelab serve` starts beside the web server, through `supervisor.WorkerProcess`.

It opens the project and its database (URL from ``$ACTIVELAB_DB``, so no password shows in the
process list), takes the project's single-worker lock, and then checks every ``--poll`` seconds,
or at once on SIGUSR1 (sent by the server after a label), whether a retrain is due.

It runs at a lower CPU priority than the server (`NICENESS`), so on a busy machine a fit waits
for the requests rather than the other way round. It never outlives the server: on Linux the kernel sends it SIGTERM when its parent dies (even of
SIGKILL), elsewhere it notices within one poll that its parent is gone. SIGTERM ends it at once,
mid-fit included: the new queue is written in one transaction, so the database keeps the old queue.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import logging
import os
import signal
import sys
import time
from pathlib import Path

from sqlalchemy import text

from .db import Store
from .heap import freeze_startup_heap

log = logging.getLogger("activelab.service.worker")

DB_ENV = "ACTIVELAB_DB"
PARENT_ENV = "ACTIVELAB_WORKER_PARENT"  # the pid the worker must not outlive
_PG_WORKER_LOCK = 0x61637477  # advisory lock held by the one worker of a database ("actw")
_PR_SET_PDEATHSIG = 1
NICENESS = 10  # the worker yields the CPU to the web server: requests first, fits after


def die_with_parent() -> None:
    """Ask the kernel to SIGTERM this process when its parent exits (Linux; elsewhere a no-op —
    the poll loop checks the parent instead). Safe as a `preexec_fn` or at start-up."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def parent_alive(parent: int | None) -> bool:
    """Whether the process that started us is still our parent."""
    return parent is None or os.getppid() == parent


@contextlib.contextmanager
def single_worker(store: Store, project_root: Path):
    """Hold the project database's worker lock while the body runs, so two workers never rank
    the same database at once (say, a worker that has not yet seen its server die). Blocks until
    the lock is free: a PostgreSQL advisory lock, or an exclusive lock on a file beside SQLite's
    database."""
    if store.dialect == "postgresql":
        with store.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_WORKER_LOCK})
            conn.commit()
            try:
                yield
            finally:
                with contextlib.suppress(Exception):
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_WORKER_LOCK})
                    conn.commit()
        return
    import fcntl

    from sqlalchemy.engine import make_url

    db_file = Path(make_url(store.url).database or project_root / "labels.db")
    with open(db_file.with_name(db_file.name + ".worker-lock"), "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def wait_for_wake(seconds: float) -> None:
    """Sleep up to `seconds`, returning early when SIGUSR1 arrives (the server's "a label came
    in"). SIGUSR1 is blocked and collected synchronously, so no handler ever interrupts a fit."""
    if hasattr(signal, "sigtimedwait"):
        signal.sigtimedwait({signal.SIGUSR1}, seconds)
    else:  # macOS, Windows: poll only
        time.sleep(seconds)


def serve_worker(project_path, db_url: str | None, poll_seconds: float,
                 parent: int | None = None, backend: str | None = None,
                 ray_address: str | None = None) -> int:
    """Open the project and run retrains until SIGTERM or the parent's death; returns an exit
    status (2 when the project cannot be opened)."""
    from .._errors import ActiveLabError
    from .runtime import Runtime
    from .worker import RetrainWorker

    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    try:
        runtime = Runtime.open(project_path, db_url)
    except ActiveLabError as exc:
        log.error("the retrain worker cannot open the project: %s", exc)
        return 2
    try:
        with single_worker(runtime.store, runtime.project.root):
            worker = RetrainWorker(runtime.store, runtime.X, runtime.labels,
                                   poll_seconds=poll_seconds, backend=backend,
                                   ray_address=ray_address,
                                   terms=runtime.project.load_terms(), task=runtime.task)
            # What a fit keeps (the pool, the modeling stack) leaves the GC's full passes: they
            # took 140-300 ms each, a dozen in 30 s of retraining, before this (heap.py).
            freeze_startup_heap()
            log.info("retrain worker %d ready", os.getpid())
            while parent_alive(parent):
                try:
                    worker.run_once()
                except Exception:  # never die of one bad retrain; the next check tries again
                    log.exception("retrain check failed")
                wait_for_wake(poll_seconds)
            log.warning("the server (pid %s) is gone; the retrain worker stops", parent)
    finally:
        runtime.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m activelab.service.worker_main",
                                 description="The labeling service's retrain worker.")
    ap.add_argument("project", type=Path)
    ap.add_argument("--poll", type=float, default=1.0, help="seconds between checks")
    ap.add_argument("--log-level", default="info")
    ap.add_argument("--backend", choices=["local", "ray"], default=None,
                    help="rank the pool on activelab.distributed (default: in memory)")
    ap.add_argument("--ray-address", default=None, help="Ray cluster for --backend ray")
    args = ap.parse_args(argv)
    logging.basicConfig(level=getattr(logging, args.log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s")
    die_with_parent()
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    parent = int(os.environ[PARENT_ENV]) if os.environ.get(PARENT_ENV, "").isdigit() else None
    if parent is not None and not parent_alive(parent):
        return 0  # the server died before we got going
    # SIGTERM keeps its default action: the kernel ends us at once, even inside a fit's C code.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Ctrl-C in a terminal reaches the whole process group: the server stops us (SIGTERM).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return serve_worker(args.project, os.environ.get(DB_ENV) or None, args.poll, parent,
                        backend=args.backend, ray_address=args.ray_address)


if __name__ == "__main__":
    sys.exit(main())
