"""Start-up cost of the command line: CPU seconds of `activelab --help`, `--version` and
`activelab strategies`, against a bare `python -c pass` measured in the same run (the floor).

    .venv/bin/python benchmarks/cli_startup.py            # → results/cli_startup.json

Each command runs --repeat times in a fresh process; the figure is the median of the child's
user + system CPU time (resource.getrusage), which a busy machine inflates less than wall time.
Target (issue 16): `--help` and `--version` under 0.5 s of CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "cli_startup.json"
ACTIVELAB = [sys.executable, "-m", "activelab.cli"]
COMMANDS = {
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
    "activelab --version": [*ACTIVELAB, "--version"],
    "activelab --help": [*ACTIVELAB, "--help"],
    "activelab strategies": [*ACTIVELAB, "strategies"],
}


def cpu_seconds(cmd: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   env={**os.environ, "COLUMNS": "100"})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    out = {}
    for name, cmd in COMMANDS.items():
        times = [cpu_seconds(cmd) for _ in range(args.repeat)]
        out[name] = round(statistics.median(times), 3)
    floor = out["python -c pass (floor)"]
    for name, secs in out.items():
        print(f"{name:<26} {secs:6.3f} s CPU  (×{secs / floor:.1f} the bare interpreter)")
    RESULTS.write_text(json.dumps({"cpu_seconds_median": out, "repeat": args.repeat,
                                   "loadavg_1min": round(os.getloadavg()[0], 2),
                                   "cpus": os.cpu_count()}, indent=2) + "\n")


if __name__ == "__main__":
    main()
