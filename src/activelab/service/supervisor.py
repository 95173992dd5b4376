"""`WorkerProcess`: the retrain worker as a supervised child process of the web server.

The server starts it with the app and stops it with the app; if it dies (a crash, the OOM killer,
a SIGKILL) it is started again after a short, growing delay. The server only talks to it through
the database (the queue it writes, the retrain requests it reads) and a SIGUSR1 "a label came in"
nudge, so the requests never wait for a fit and a worker that is down costs nothing but freshness:
`/api/next` keeps handing out the last queue in the database.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .settings import request_retrain
from .worker_main import DB_ENV, PARENT_ENV

log = logging.getLogger("activelab.service.supervisor")

RESTART_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0)  # after the n-th crash in a row
STABLE_SECONDS = 60.0  # a worker that ran this long resets the crash count


class WorkerProcess:
    """Start, watch, nudge and stop the retrain worker process of one project."""

    def __init__(self, store, project_root, db_url: str | None = None,
                 poll_seconds: float = 1.0, log_level: str = "info",
                 backend: str | None = None, ray_address: str | None = None) -> None:
        self.store = store
        self.backend, self.ray_address = backend, ray_address
        self.project_root = Path(project_root)
        self.db_url = db_url
        self.poll_seconds = poll_seconds
        self.log_level = log_level
        self.restarts = 0
        self._proc: subprocess.Popen | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._last_nudge = 0.0

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._supervise, name="activelab-supervisor",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop supervising and end the worker (SIGTERM, then SIGKILL after `timeout`). Killing it
        mid-fit is safe: the queue it was about to write is one transaction."""
        self._stop.set()
        with self._lock:
            proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def trigger(self) -> None:
        """Nudge the worker to check now whether a retrain is due (after a label). At most a few
        signals a second; the worker also checks on its own every `poll_seconds`."""
        now = time.monotonic()
        if now - self._last_nudge < 0.1 or not hasattr(signal, "SIGUSR1"):
            return
        self._last_nudge = now
        pid = self.pid
        if pid is not None:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGUSR1)

    def retrain_now(self) -> None:
        """Ask for a retrain even if few labels are new (admin): recorded in the database, so a
        worker that is restarting sees it too."""
        request_retrain(self.store)
        self._last_nudge = 0.0
        self.trigger()

    def _command(self) -> list[str]:
        cmd = [sys.executable, "-m", "activelab.service.worker_main", str(self.project_root),
               "--poll", str(self.poll_seconds), "--log-level", self.log_level]
        if self.backend:
            cmd += ["--backend", self.backend]
        if self.ray_address:
            cmd += ["--ray-address", self.ray_address]
        return cmd

    def _spawn(self) -> subprocess.Popen:
        env = {**os.environ, PARENT_ENV: str(os.getpid())}
        if self.db_url:
            env[DB_ENV] = self.db_url
        # Spawned from this thread, whose SIGUSR1 is blocked: the child inherits the mask, so a
        # nudge that arrives before it is ready waits instead of killing it.
        return subprocess.Popen(self._command(), env=env, stdin=subprocess.DEVNULL,
                                close_fds=True)

    def _supervise(self) -> None:
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
        crashes = 0
        while not self._stop.is_set():
            with self._lock:
                if self._stop.is_set():
                    return
                try:
                    self._proc = proc = self._spawn()
                except OSError:
                    log.exception("cannot start the retrain worker")
                    proc = None
            started = time.monotonic()
            code = proc.wait() if proc is not None else None
            if self._stop.is_set():
                return
            if time.monotonic() - started > STABLE_SECONDS:
                crashes = 0
            delay = RESTART_DELAYS[min(crashes, len(RESTART_DELAYS) - 1)]
            crashes += 1
            self.restarts += 1
            log.warning("the retrain worker exited (status %s); restarting it in %.1fs — labeling "
                        "goes on from the last queue meanwhile", code, delay)
            self._stop.wait(delay)
