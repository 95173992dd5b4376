"""The Ray backend's own behaviour: a Ray address that does not answer fails fast and clearly;
how many actors it starts. (The actors it keeps between queries: test_equality.py.)"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from activelab import InvalidInputError

from ._pools import make_data, pick_labels, write_shards

ray = pytest.importorskip("ray")


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


def test_unreachable_ray_address_fails_fast_with_a_clear_error(tmp_path):
    """In a fresh process (this one's initialized Ray would be reused whatever the address):
    a closed port and port 1 fail within seconds, naming the address and the fix; a malformed
    address says what the format is."""
    ids, X, y_true = make_data(50, d=3, seed=40)
    write_shards(tmp_path / "pool", ids, X, n_shards=1, row_group_size=50)
    labels = pick_labels(ids, y_true, 6)
    port = _unused_port()
    script = textwrap.dedent(f"""
        import json, time
        import activelab
        import activelab.backends.ray, activelab.distributed, ray  # imports are not timed
        from activelab import ParquetPool, InvalidInputError
        pool = ParquetPool({str(tmp_path / "pool")!r})
        out = []
        for address in ["127.0.0.1:{port}", "127.0.0.1:1", "no-port-here"]:
            t = time.monotonic()
            try:
                activelab.query(pool, labels={labels!r}, strategy="margin", batch_size=2,
                                backend="ray", ray_address=address)
                out.append([address, None, "no error", time.monotonic() - t])
            except Exception as exc:
                out.append([address, type(exc).__name__, str(exc), time.monotonic() - t])
        import ray
        out.append(["ray_initialized", ray.is_initialized()])
        print("RESULT " + json.dumps(out))
    """)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=False)
    total = time.monotonic() - started
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and line, proc.stderr[-3000:]
    *results, initialized = json.loads(line[0][len("RESULT "):])
    for address, kind, message, elapsed in results[:2]:
        assert kind == "InvalidInputError", (address, kind, message)
        assert f"no Ray cluster answers at {address}" in message
        assert "ray start --head" in message and "leave ray_address unset" in message
        assert elapsed < 10, (address, elapsed)
    address, kind, message, elapsed = results[2]
    assert kind == "InvalidInputError" and "is not 'host:port'" in message
    assert initialized == ["ray_initialized", False]  # no local Ray started behind the user's back
    assert total < 60


def test_address_of_a_service_that_is_not_ray_fails_fast(tmp_path):
    ids, X, y_true = make_data(50, d=3, seed=42)
    write_shards(tmp_path / "pool", ids, X, n_shards=1, row_group_size=50)
    labels = pick_labels(ids, y_true, 6)
    with socket.socket() as listener:  # accepts connections, never speaks
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        script = textwrap.dedent(f"""
            import activelab
            from activelab import ParquetPool, InvalidInputError
            import time
            pool = ParquetPool({str(tmp_path / "pool")!r})
            t = time.monotonic()
            try:
                activelab.query(pool, labels={labels!r}, strategy="margin", batch_size=2,
                                backend="ray", ray_address={address!r})
            except InvalidInputError as exc:
                print("RESULT", exc)
            print("ELAPSED", time.monotonic() - t)
        """)
        # the imports take seconds (tens on a loaded machine): the query itself is timed inside
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              timeout=90, check=False)
    assert "RESULT" in proc.stdout and address in proc.stdout, proc.stderr[-2000:]
    elapsed = float(proc.stdout.split("ELAPSED")[1])
    assert elapsed < 10, elapsed


def test_check_reachable_refuses_a_closed_port_quickly():
    from activelab.backends.ray import check_reachable

    t = time.monotonic()
    with pytest.raises(InvalidInputError, match=r"no Ray cluster answers at 127\.0\.0\.1:\d+"):
        check_reachable(f"127.0.0.1:{_unused_port()}")
    assert time.monotonic() - t < 10
    check_reachable("auto")  # left to Ray


def test_ray_address_other_than_the_connected_ray_is_not_silently_ignored(ray_session):
    from activelab.backends import get_backend

    with pytest.raises(InvalidInputError, match="127.0.0.1:1"):
        get_backend("ray", ray_address="127.0.0.1:1")


def test_num_workers_beyond_the_cluster_cpus_is_capped_or_refused(ray_session):
    from activelab.backends import get_backend

    cpus = int(ray_session.cluster_resources()["CPU"])
    try:
        n = get_backend("ray", num_workers=cpus + 2).n_workers(100)
    except InvalidInputError:
        return
    assert n <= cpus
