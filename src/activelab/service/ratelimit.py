"""A limit on failed sign-ins per client: at most `MAX_FAILURES` in any `WINDOW_SECONDS` (a
sliding window), counted in this process's memory.

    limiter = FailureLimiter()
    wait = limiter.retry_after(host)     # None, or seconds until this client may try again
    ...  on a wrong token or code:  limiter.failed(host)

`POST /login` asks before touching the database, so a client guessing tokens costs one dict
lookup per attempt once refused. A success resets nothing: each client's failures age out on
their own, and other clients are never affected. Behind a reverse proxy the client is the
proxy unless it sends X-Forwarded-For from an address uvicorn trusts ($FORWARDED_ALLOW_IPS;
127.0.0.1 and ::1 by default); without that, the proxy's clients share one budget.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

MAX_FAILURES = 10
WINDOW_SECONDS = 60.0
MAX_CLIENTS = 10_000  # clients remembered at once; beyond that, those idle longest are dropped


class FailureLimiter:
    """Failed attempts per client key in a sliding window; thread-safe."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW_SECONDS,
                 clock=time.monotonic) -> None:
        self.max_failures = max_failures
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> int | None:
        """Seconds (at least 1) until `key` may try again, or None when it may now."""
        now = self.clock()
        with self._lock:
            times = self._failures.get(key)
            if times is None:
                return None
            self._expire(times, now)
            if not times:
                del self._failures[key]
                return None
            if len(times) < self.max_failures:
                return None
            return max(1, math.ceil(times[0] + self.window - now))

    def failed(self, key: str) -> None:
        """Count one failed attempt by `key`."""
        now = self.clock()
        with self._lock:
            times = self._failures.pop(key, None)  # re-inserted last: dicts keep insertion order
            if times is None:
                times = deque(maxlen=self.max_failures)
                if len(self._failures) >= MAX_CLIENTS:
                    self._prune(now)
            self._expire(times, now)
            times.append(now)
            self._failures[key] = times

    def _expire(self, times: deque, now: float) -> None:
        while times and times[0] <= now - self.window:
            times.popleft()

    def _prune(self, now: float) -> None:
        for key in [k for k, t in self._failures.items() if not t or t[-1] <= now - self.window]:
            del self._failures[key]
        while len(self._failures) >= MAX_CLIENTS:  # all recent: drop the longest idle
            del self._failures[next(iter(self._failures))]
