"""The Ray backend: one actor per CPU of the cluster (spread over its nodes), each owning a
contiguous run of the pool's pieces; the driver only exchanges small arrays with them.

Ray workers run at the niceness in ``RAY_worker_niceness`` (Ray's default is 15, which starves
them on a busy machine); a local Ray started here sets 0 unless the variable is set. Nodes of a
cluster you start yourself take it from their environment: ``RAY_worker_niceness=0 ray start``.
"""

from __future__ import annotations

import logging
import os
import socket

from .._errors import ActiveLabError, InvalidInputError

#: Seconds to wait for a Ray address to accept a connection before giving up.
CONNECT_TIMEOUT = 3.0


def _import_ray():
    try:
        import ray
    except ImportError as exc:
        raise ImportError(
            "backend='ray' needs Ray: pip install 'activelab[ray]' (on every node of the cluster)."
        ) from exc
    return ray


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Raise InvalidInputError unless something accepts connections at a ``host:port`` Ray
    address within `timeout` seconds (``"auto"`` and ``"local"`` are left to Ray)."""
    if address in ("auto", "local"):
        return
    rest = address.split("://", 1)[-1]
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit():
        raise InvalidInputError(
            f"ray_address {address!r} is not 'host:port' (or 'auto', or 'ray://host:port')."
        )
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout) as sock:
            if "://" not in address:  # the GCS port speaks gRPC; Ray Client (ray://) is left to Ray
                _check_http2(sock, timeout)
    except OSError as exc:
        raise InvalidInputError(
            f"no Ray cluster answers at {address} ({exc.strerror or exc}, after at most "
            f"{timeout:.0f} s); start one with `ray start --head --port {port}` or leave "
            "ray_address unset for a local Ray."
        ) from None


def _check_http2(sock: socket.socket, timeout: float) -> None:
    """Raise OSError unless the peer answers an HTTP/2 client preface with a SETTINGS frame, as
    Ray's GCS (a gRPC server) does; a web server or another service on the port would make
    ray.init retry for minutes instead."""
    sock.settimeout(timeout)
    # the client preface, then an empty SETTINGS frame (length 0, type 4, flags 0, stream 0)
    sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))
    head = b""
    try:
        while len(head) < 9:
            chunk = sock.recv(9 - len(head))
            if not chunk:
                break
            head += chunk
    except socket.timeout:
        head = b""
    if len(head) < 9 or head[3] != 4:
        raise OSError(0, "something answers there, but not a Ray cluster's control service (GCS)")


def start_ray(address: str | None = None, num_cpus: int | None = None):
    """Connect to Ray once per process: to `address`, or a new local Ray with the machine's
    cores (no dashboard, workers at niceness 0). Returns the ray module."""
    ray = _import_ray()
    if ray.is_initialized():
        if address not in (None, "auto"):
            current = ray.get_runtime_context().gcs_address
            if _host_port(current)[1] != _host_port(address)[1]:  # Ray reports the node's IP
                raise InvalidInputError(
                    f"this process is already connected to the Ray cluster at {current}, not "
                    f"{address}; call ray.shutdown() first to use another cluster.")
        return ray
    if address is None:
        os.environ.setdefault("RAY_worker_niceness", "0")
        ray.init(num_cpus=num_cpus or os.cpu_count(), include_dashboard=False,
                 logging_level=logging.WARNING, log_to_driver=False)
    else:
        check_reachable(address)
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
    return ray


#: The actors of the last loop round, kept for the next one on the same pieces (a new actor
#: costs ~1 s of process start and imports): (key, handles). Only one set lives at a time, and
#: only a caller that asks keeps them (`ActiveLoop`'s rounds): idle actors hold one CPU each,
#: which other Ray work in the process would wait for. `release()` stops them.
_KEPT: list = []
_CLASSES: dict = {}


def release() -> None:
    """Stop the actors kept from the last Ray query (also done at exit and on a new pool)."""
    if _KEPT:
        key, handles = _KEPT.pop()
        import ray

        if ray.is_initialized():
            for h in handles:
                try:
                    ray.kill(h)
                except Exception:  # noqa: BLE001 - already gone
                    pass


def _host_port(address: str) -> tuple[str, str]:
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    if host in ("localhost", "0.0.0.0"):
        host = "127.0.0.1"
    return host, port


class RayBackend:
    """Runs `ShardWorker`s as Ray actors (one CPU each, spread over the nodes).

    The actors of a query stay alive for the next query on the same pieces and settings (the
    runner's and the service's rounds), and are stopped when another pool comes or on
    `release()`."""

    name = "ray"

    def __init__(self, address: str | None = None, num_workers: int | None = None) -> None:
        self.ray = start_ray(address)
        self.num_workers = num_workers

    def n_workers(self, n_pieces: int) -> int:
        cpus = int(self.ray.cluster_resources().get("CPU", 1))
        if self.num_workers is not None and self.num_workers > cpus:
            raise InvalidInputError(
                f"num_workers={self.num_workers} but the Ray cluster has {cpus} CPUs; each worker "
                f"holds one CPU, so at most {cpus} can run (leave num_workers unset to use all).")
        return max(1, min(n_pieces, self.num_workers or cpus))

    def start(self, cls, args: list[tuple]) -> list:
        key = (cls.__module__, cls.__qualname__, repr(args))
        if _KEPT and _KEPT[0][0] == key:
            return list(_KEPT[0][1])
        release()
        remote = _CLASSES.get(cls)
        if remote is None:
            remote = _CLASSES[cls] = self.ray.remote(
                num_cpus=1, scheduling_strategy="SPREAD", max_restarts=0)(cls)
        handles = [remote.remote(*a) for a in args]
        _KEPT.append((key, handles))
        return list(handles)

    def call(self, workers: list, method: str, args: list[tuple] | None = None) -> list:
        refs = [getattr(w, method).remote(*(args[i] if args else ())) for i, w in enumerate(workers)]
        return self._get(refs)

    def call_one(self, worker, method: str, *args):
        return self._get(getattr(worker, method).remote(*args))

    def put(self, value):
        return self.ray.put(value)

    def _get(self, refs):
        from ray.exceptions import RayActorError, RayTaskError

        try:
            return self.ray.get(refs)
        except RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, ActiveLabError):
                raise cause from None
            raise
        except RayActorError as exc:
            raise ActiveLabError(
                f"a Ray worker died during the query ({exc}); nothing was selected. Check the "
                "node's memory (each worker holds its pieces' per-row state)."
            ) from exc

    def stop(self, workers: list, *, failed: bool = False, keep: bool = False) -> None:
        """End a query: with `keep` the actors stay for the next query (their per-query state
        dropped), else — and after a failure, their state unknown — they are stopped."""
        if failed or not keep:
            release()
        else:
            try:
                self.call(workers, "reset")
            except Exception:  # noqa: BLE001 - a dead actor: stop the set
                release()
        workers.clear()
