"""How block work runs: `local` (one process, streaming the pieces) or `ray` (one actor per CPU
of a Ray cluster, each owning a contiguous run of pieces). Both run the same worker code
(`activelab.distributed.worker.ShardWorker`), so they pick the same rows."""

from __future__ import annotations

from .._errors import InvalidInputError, UnknownNameError
from .local import LocalBackend

BACKENDS = ("local", "ray")


def get_backend(name: str = "local", *, ray_address: str | None = None, num_workers: int | None = None):
    """A backend by name: ``"local"`` or ``"ray"`` (`ray_address`: None starts a local Ray with
    the machine's cores, no dashboard; ``"auto"`` or ``"host:port"`` joins a running cluster)."""
    if name == "local":
        if ray_address is not None:
            raise InvalidInputError("ray_address is only used with backend='ray'.")
        return LocalBackend()
    if name == "ray":
        from .ray import RayBackend

        return RayBackend(address=ray_address, num_workers=num_workers)
    raise UnknownNameError("backend", str(name), BACKENDS)


__all__ = ["BACKENDS", "LocalBackend", "get_backend"]
