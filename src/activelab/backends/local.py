"""The local backend: every worker object lives in this process and is called in turn."""

from __future__ import annotations


class LocalBackend:
    """Runs `ShardWorker`s in this process: one worker owning every piece (streamed a block at
    a time), so memory stays that of one block plus the per-row state a strategy keeps."""

    name = "local"

    def n_workers(self, n_pieces: int) -> int:
        return 1

    def start(self, cls, args: list[tuple]) -> list:
        return [cls(*a) for a in args]

    def call(self, workers: list, method: str, args: list[tuple] | None = None) -> list:
        """Call `method` on every worker (`args[i]` for worker i, or no arguments)."""
        return [getattr(w, method)(*(args[i] if args else ())) for i, w in enumerate(workers)]

    def call_one(self, worker, method: str, *args):
        return getattr(worker, method)(*args)

    def put(self, value):
        return value

    def stop(self, workers: list, *, failed: bool = False, keep: bool = False) -> None:
        workers.clear()
