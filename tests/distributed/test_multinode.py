"""A two-node Ray cluster on this machine (two `ray start` nodes of one CPU each): a query
through `ray_address` runs its actors on both nodes and picks the same ids as in memory.

Every process the nodes start is stopped at the end, by the nodes' own process sessions (never
`ray stop`, which would also kill this session's local Ray and anyone else's)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from ._pools import make_data, pick_labels, write_shards

ray = pytest.importorskip("ray")

RAY_CLI = Path(sys.executable).with_name("ray")
DRIVER = Path(__file__).with_name("_multinode_driver.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _node_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_ADDRESS")}
    env.update(RAY_AUTH_MODE="disabled", RAY_worker_niceness="0", RAY_USAGE_STATS_ENABLED="0")
    return env


def _sessions(sids: set[int]) -> dict[int, str]:
    """pid -> command line of every live process in one of the sessions `sids`."""
    found = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()  # state ppid pgrp session ...
            if int(fields[3]) in sids and fields[0] != "Z":
                found[int(d.name)] = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
        except (OSError, ValueError):
            continue
    return found


def _pgrep(pattern: str) -> set[int]:
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True,
                         check=False).stdout
    return {int(p) for p in out.split()}


class TwoNodeCluster:
    """A head and a worker node, each `ray start --block --num-cpus 1` in a new session, with
    their own ports and temp dir; `stop()` ends both sessions and everything in them."""

    def __init__(self, temp_dir: str, log_dir: Path) -> None:
        self.temp_dir, self.log_dir = temp_dir, log_dir
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.nodes: list[subprocess.Popen] = []

    def _start(self, name: str, extra: list[str]) -> None:
        cmd = [str(RAY_CLI), "start", "--block", "--num-cpus", "1", "--num-gpus", "0",
               "--node-ip-address", "127.0.0.1", "--temp-dir", self.temp_dir,
               "--object-store-memory", str(100 * 2**20), "--disable-usage-stats",
               "--node-manager-port", str(_free_port()), "--object-manager-port", str(_free_port()),
               "--metrics-export-port", str(_free_port()),
               "--dashboard-agent-listen-port", str(_free_port()),
               "--dashboard-agent-grpc-port", str(_free_port()),
               "--runtime-env-agent-port", str(_free_port()),
               "--min-worker-port", "0", "--max-worker-port", "0", *extra]
        with open(self.log_dir / f"{name}.log", "w") as log:  # the node keeps its own copy
            self.nodes.append(subprocess.Popen(
                cmd, env=_node_env(), stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True))

    def start(self, timeout: float = 60.0) -> None:
        self._start("head", ["--head", "--port", str(self.port), "--include-dashboard", "false",
                             "--dashboard-host", "127.0.0.1", "--dashboard-port", str(_free_port())])
        self._wait(lambda: _accepts(self.port), timeout, "the head node's GCS port")
        self._start("worker", ["--address", self.address])
        # both nodes are up when their raylets run under our temp dir
        self._wait(lambda: len(_pgrep(f"raylet.*{self.temp_dir}")) >= 2, timeout, "two raylets")

    def _wait(self, ready, timeout: float, what: str) -> None:
        end = time.monotonic() + timeout
        while not ready():
            if any(p.poll() is not None for p in self.nodes):
                raise RuntimeError(f"a ray node exited while waiting for {what}: {self.logs()}")
            if time.monotonic() > end:
                raise TimeoutError(f"{what} not up after {timeout:.0f} s: {self.logs()}")
            time.sleep(0.2)

    def logs(self) -> str:
        return " | ".join(f.read_text()[-800:] for f in sorted(self.log_dir.glob("*.log")))

    @property
    def sids(self) -> set[int]:
        return {p.pid for p in self.nodes}

    def stop(self) -> dict[int, str]:
        """SIGTERM each `ray start --block` (it drains and stops its node's processes), then
        SIGKILL whatever is left in their sessions; returns what had to be killed."""
        for p in reversed(self.nodes):  # the worker node first, then the head
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(self.nodes):
            try:
                p.wait(timeout=40)
            except subprocess.TimeoutExpired:
                pass
        end = time.monotonic() + 10
        left = _sessions(self.sids)
        while left and time.monotonic() < end:
            time.sleep(0.3)
            left = _sessions(self.sids)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for p in self.nodes:
            if p.poll() is None:
                p.wait(timeout=10)
        return left


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_two_node_cluster_runs_actors_on_both_nodes_with_in_memory_picks(tmp_path):
    ids, X, y_true = make_data(20_000, d=8, n_classes=3, seed=30)
    pool_dir = write_shards(tmp_path / "pool", ids, X, n_shards=4, row_group_size=2500)
    labels_json = tmp_path / "labels.json"
    labels_json.write_text(json.dumps(pick_labels(ids, y_true, 30, seed=30)))
    record = tmp_path / "scored_in"
    record.mkdir()
    # a short temp dir: Ray's socket paths under it must stay below the 107-byte AF_UNIX limit
    temp_dir = tempfile.mkdtemp(prefix="al2n", dir="/tmp")
    raylets_before = _pgrep("raylet")
    assert not _pgrep(temp_dir)

    cluster = TwoNodeCluster(temp_dir, tmp_path)
    try:
        cluster.start()
        sessions_up = _sessions(cluster.sids)
        driver = subprocess.run(
            [sys.executable, str(DRIVER), cluster.address, str(pool_dir), str(labels_json),
             str(record)],
            env=_node_env(), capture_output=True, text=True, timeout=240, check=False)
    finally:
        killed = cluster.stop()
        left, left_by_dir = _sessions(cluster.sids), _pgrep(temp_dir)
        if not left and not left_by_dir:
            shutil.rmtree(temp_dir, ignore_errors=True)  # the nodes' session logs
    lines = [ln for ln in driver.stdout.splitlines() if ln.startswith("RESULT ")]
    assert driver.returncode == 0 and lines, driver.stderr[-3000:] + cluster.logs()
    result = json.loads(lines[-1][len("RESULT "):])

    for name, (got, expected) in result["picks"].items():
        assert got == expected, name
    assert result["cluster_cpus"] == 2 and len(result["alive_nodes"]) == 2
    workers = {tuple(s.split("_")) for s in result["scored_in"]}
    assert all(int(pid) != result["driver_pid"] for pid, _ in workers)
    # the margin query ran in two actors, one on each node
    assert {node for _, node in workers} == set(result["alive_nodes"]), workers
    assert len({pid for pid, _ in workers}) == 2
    # those actors ran in the two nodes' process sessions (so stopping the sessions stops them)
    assert set(result["scored_in_sessions"]) == cluster.sids
    assert len(sessions_up) >= 4  # gcs_server, raylets, agents ...

    # nothing left behind: not in the nodes' sessions, not under their temp dir; and no raylet
    # that ran before the test (this session's local Ray, anyone else's) was one of ours
    assert not left and not left_by_dir, (left, left_by_dir)
    assert not set(sessions_up) & raylets_before
    assert not killed, f"needed SIGKILL: {killed}"
