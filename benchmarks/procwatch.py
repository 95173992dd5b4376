"""Resources of a process and every process under it (Ray's, a process pool's) during a block of
code, for benchmarks whose work spans processes: wall time, CPU seconds, bytes read, and peak RSS
per process (Linux /proc).

Peak RSS is the kernel's VmHWM, reset through ``/proc/PID/clear_refs`` when the block starts
(for every process already there; processes started inside the block start from zero); RSS is
also sampled every `interval` seconds, which keeps the peaks of processes that exit inside the
block and gives a series over time. CPU seconds are utime + stime from ``/proc/PID/stat``, bytes
read the ``rchar`` of ``/proc/PID/io`` (every read() call, page-cache hits included).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
import traceback
from collections import defaultdict
from pathlib import Path

from common import _malloc_trim

MIB = 2**20


def cached_bytes(paths: list[Path]) -> int | None:
    """Bytes of these files in the page cache (util-linux fincore), None when unavailable."""
    try:
        out = subprocess.run(["fincore", "-b", "-n", "-o", "RES", *map(str, paths)],
                             capture_output=True, text=True, timeout=60, check=True).stdout
        return sum(int(x) for x in out.split())
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


_TICK = os.sysconf("SC_CLK_TCK")


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def descendants(root: int) -> list[int]:
    children = defaultdict(list)
    for d in os.listdir("/proc"):
        if d.isdigit():
            s = _read(f"/proc/{d}/stat")
            if s:
                children[int(s[s.rindex(")") + 2:].split()[1])].append(int(d))
    out, stack = [], [root]
    while stack:
        p = stack.pop()
        out.append(p)
        stack.extend(children[p])
    return out


def proc_info(pid: int) -> dict | None:
    """name, rss, hwm (bytes), cpu (s), rchar (bytes) of a process; None when it is gone."""
    stat, status, io, cmd = (_read(f"/proc/{pid}/{k}") for k in ("stat", "status", "io", "cmdline"))
    if not stat or not status:
        return None
    f = stat[stat.rindex(")") + 2:].split()
    kib = {ln.split(":")[0]: int(ln.split()[1]) for ln in status.splitlines()
           if ln.startswith(("VmRSS", "VmHWM", "RssAnon"))}
    argv0 = (cmd or "").split("\0")[0]
    name = argv0.split(".")[0].split(" ")[0] if argv0.startswith("ray::") else os.path.basename(argv0.split(" ")[0])
    rchar = next((int(ln.split()[1]) for ln in (io or "").splitlines() if ln.startswith("rchar")), 0)
    return {"name": name or "?", "rss": kib.get("VmRSS", 0) * 1024, "hwm": kib.get("VmHWM", 0) * 1024,
            "anon": kib.get("RssAnon", 0) * 1024,
            "cpu": (int(f[11]) + int(f[12])) / _TICK, "rchar": rchar}


class Watch:
    """Resources of this process and every process under it (the Ray processes) during a block.

    Before it, freed heap is handed back (glibc's and Arrow's pools) so that the RSS before and
    the peak measure this block, not what earlier blocks left allocated."""

    def __init__(self, interval: float, paths: list[Path] | None = None) -> None:
        self.interval, self.paths = interval, paths

    def __enter__(self):
        import pyarrow as pa

        _malloc_trim()
        pa.default_memory_pool().release_unused()
        self.me = os.getpid()
        self.cached = to_mib(cached_bytes(self.paths)) if self.paths else None
        self.first, self.last, self.max_rss, self.max_anon = {}, {}, defaultdict(int), defaultdict(int)
        for pid in descendants(self.me):
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak (VmHWM)
            except OSError:
                pass
            p = proc_info(pid)
            if p:
                self.first[pid] = p
        self.series, self.stop = [], threading.Event()
        self.load_before = os.getloadavg()
        self.cpu_before = _machine_cpu()
        self.t0 = time.perf_counter()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self) -> None:
        while not self.stop.wait(self.interval):
            self._poll()

    def _poll(self) -> None:
        drv, wrk = 0, 0
        for pid in descendants(self.me):
            p = proc_info(pid)
            if p is None:
                continue
            if p["name"] == "?" and pid in self.last:  # exiting: its command line is gone
                p["name"] = self.last[pid]["name"]
            self.last[pid] = p
            self.max_rss[pid] = max(self.max_rss[pid], p["rss"], p["hwm"])
            self.max_anon[pid] = max(self.max_anon[pid], p["anon"])
            if pid == self.me:
                drv = p["rss"]
            elif p["name"] == "ray::ShardWorker":
                wrk = max(wrk, p["rss"])
        t = time.perf_counter() - self.t0
        self.series.append((round(t, 2), round(drv / MIB), round(wrk / MIB)))
        if len(self.series) % max(1, int(60 / self.interval)) == 0:
            print(f"[{time.strftime('%H:%M:%S')}]   … {t:.0f} s: driver RSS {drv / MIB:.0f} MiB, "
                  f"largest Ray worker {wrk / MIB:.0f} MiB", flush=True)

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        self.stop.set()
        self.thread.join()
        self._poll()
        self.load_after = os.getloadavg()
        self.cpu_after = _machine_cpu()
        return False

    def report(self, pool_bytes: int) -> dict:
        procs = []
        for pid, p in self.last.items():
            f = self.first.get(pid, {"cpu": 0.0, "rchar": 0, "rss": 0})
            procs.append({"pid": pid, "name": "driver" if pid == self.me else p["name"],
                          "rss_before_mib": round(f["rss"] / MIB, 1),
                          "peak_rss_mib": round(max(self.max_rss[pid], p["hwm"]) / MIB, 1),
                          "peak_anon_sampled_mib": round(self.max_anon[pid] / MIB, 1),
                          "cpu_s": round(p["cpu"] - f["cpu"], 2),
                          "read_mib": round((p["rchar"] - f["rchar"]) / MIB, 1)})
        step = max(1, len(self.series) // 120)
        return {"wall_s": round(self.wall, 3),
                "cpu_s": round(sum(p["cpu_s"] for p in procs), 2),
                "read_passes": round(sum(p["read_mib"] for p in procs) * MIB / pool_bytes, 2),
                "procs": sorted(procs, key=lambda p: (p["name"] != "driver", p["name"], p["pid"])),
                "load_before": [round(x, 2) for x in self.load_before],
                "load_after": [round(x, 2) for x in self.load_after],
                "page_cache_before_mib": self.cached,
                "machine_cpu_share": _shares(self.cpu_before, self.cpu_after),
                "rss_series_mib": self.series[::step]}


def watched(fn, interval: float, pool_bytes: int, paths: list[Path] | None = None, *,
            catch: bool = False):
    """(fn's value, the Watch report); with `catch`, an exception is reported (value None):
    "OOM" for a failed allocation, with the activelab frames it came from."""
    value, error = None, None
    with Watch(interval, paths) as w:
        try:
            value = fn()
        except Exception as exc:
            if not catch:
                raise
            frames = [f"{Path(f.filename).parent.name}/{Path(f.filename).name}:{f.lineno} {f.name}"
                      for f in traceback.extract_tb(exc.__traceback__) if "activelab" in f.filename]
            error = {"error": "OOM" if isinstance(exc, MemoryError) else type(exc).__name__,
                     "message": str(exc)[:300], "where": frames[-4:]}
    report = w.report(pool_bytes)
    if error:
        report.update(error)
    return value, report


def _machine_cpu() -> list[int]:
    """The machine's CPU time so far (/proc/stat): user, nice, system, idle, iowait, …"""
    line = (_read("/proc/stat") or "cpu 0").splitlines()[0]
    return [int(x) for x in line.split()[1:]]


def _shares(a: list[int], b: list[int]) -> dict:
    """Where the machine's CPU time went between two `_machine_cpu` readings (all processes,
    not only ours): busy, waiting on the disk (iowait), idle."""
    d = [y - x for x, y in zip(a, b)]
    total = sum(d) or 1
    idle, iowait = d[3] if len(d) > 3 else 0, d[4] if len(d) > 4 else 0
    return {"busy": round((total - idle - iowait) / total, 3), "iowait": round(iowait / total, 3),
            "idle": round(idle / total, 3)}


def mem_available() -> int:
    text = _read("/proc/meminfo") or ""
    return next((int(ln.split()[1]) * 1024 for ln in text.splitlines()
                 if ln.startswith("MemAvailable")), 1 << 62)




def to_mib(b):
    return None if b is None else round(b / MIB)
