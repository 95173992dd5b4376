"""Shared helpers of the two benchmark suites: result files, memory measurement, isolated
cells with a time limit and a memory cap, machine facts.

Memory is measured per cell as the growth of the process's peak resident set during the timed
call: the peak (``VmHWM``) is reset through ``/proc/self/clear_refs`` just before the call and read
just after, minus the resident set (``VmRSS``) before it. Unlike tracemalloc this sees every
allocation (NumPy, BLAS work buffers, Cython, C++), adds no overhead to the timings, and is the
same measurement for every library. glibc's free heap is trimmed before the call so that memory
freed earlier and reused inside the call cannot hide an allocation. Inputs that exist before the call (the pool, the
probabilities) are not counted; copies a library makes of them are.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DATA = HERE / ".data"  # generated or converted inputs; ignored by git

#: Extra memory a cell may allocate before it counts as "out of memory" (bytes).
DEFAULT_MEM_LIMIT = 12 * 2**30


def write_json(path: Path, obj) -> None:
    """Atomic write (a killed run never leaves a torn file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1, default=_jsonable))
    os.replace(tmp, path)


def read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _jsonable(o):
    import numpy as np

    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o).__name__)


def _status_kib(key: str) -> int:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    m = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) if m else 0


class PeakMemory:
    """Context manager: `extra_mib` = peak RSS growth during the block (Linux; NaN elsewhere)."""

    def __enter__(self):
        self.ok = True
        _malloc_trim()  # hand freed heap back first, so reuse of it cannot hide an allocation
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            self.ok = False
        self.before = _status_kib("VmRSS")
        return self

    def __exit__(self, *exc):
        peak = _status_kib("VmHWM")
        self.extra_mib = (peak - self.before) / 1024 if self.ok and peak else float("nan")
        return False


def _malloc_trim() -> None:
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def cap_memory(extra_bytes: int) -> None:
    """Let this process map at most `extra_bytes` more address space; beyond, allocations
    raise MemoryError (reported as "out of memory" instead of the kernel killing a neighbour)."""
    if extra_bytes <= 0:
        return
    current = _status_kib("VmSize") * 1024
    limit = current + extra_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_isolated(argv: list[str], timeout: float, env: dict | None = None) -> tuple[str, str]:
    """Run a worker command; return (status, tail of stderr). status is 'ok', 'timeout' or
    'crashed (rc N)'."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        _, err = proc.communicate()
        return "timeout", (err or "")[-2000:]
    if proc.returncode != 0:
        return f"crashed (rc {proc.returncode})", (err or "")[-2000:]
    return "ok", (err or "")[-2000:]


def machine() -> dict:
    """Facts that make timings comparable (or not)."""
    import numpy as np

    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "numpy": np.__version__,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    try:
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    try:
        info["memory_gib"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        pass
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [{k: p.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
                        for p in threadpool_info() if p.get("user_api") == "blas"]
    except Exception:  # threadpoolctl is optional
        pass
    return info


def versions(libraries: list[str]) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    dist = {"activelab": "activelab", "modal": "modAL-python", "skactiveml": "scikit-activeml",
            "alipy": "alipy", "numpy": "numpy", "scikit-learn": "scikit-learn"}
    out = {}
    for lib in libraries:
        try:
            out[lib] = version(dist.get(lib, lib))
        except PackageNotFoundError:
            out[lib] = None
    return out


def python_for_workers() -> str:
    return sys.executable
