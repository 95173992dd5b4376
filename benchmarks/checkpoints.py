"""One compressed checkpoint file per benchmark suite, instead of one JSON file per run or cell.

The file is JSON Lines compressed with gzip: one record ``{"key": ..., "value": ...}`` per line,
where `key` names what the record is (``cells/wine__logreg__b10/seeds/margin__seed0`` — the
relative path, without ``.json``, of the file it replaces) and `value` is that file's JSON
content. When a key occurs more than once, the last record wins.

Durability: **append-only, with a reader that tolerates a torn tail.** Each `put` appends one
complete gzip member (a gzip file may be a concatenation of members) holding one line, in a
single ``write`` to a file opened with ``O_APPEND``. A process killed mid-append leaves at most
one incomplete member at the end; the reader keeps every complete member before it and drops
the torn one, and `Checkpoints` rewrites the good records (temp file + ``os.replace``) before it
appends again, so no later record is ever hidden behind the garbage. Rewriting the whole file
on every save (the other safe option) was rejected: the label suite's file holds thousands of
runs (tens of MB uncompressed) and the speed suite saves a cell after every timed repeat, so
each save would cost more than the work it records.

`compact` rewrites the file as one gzip member of unique records sorted by key, with a zero
gzip timestamp (temp file, fsync, ``os.replace``), so the same records always give the same
bytes; that canonical form is what is committed. It is a no-op when the file already is
canonical. One process writes at a time: the speed suite's worker subprocesses run one after
the other, and the parent calls `reload` after each before writing itself.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterator
from pathlib import Path

from common import _jsonable


def _line(key: str, value) -> bytes:
    return (json.dumps({"key": key, "value": value}, default=_jsonable) + "\n").encode()


def append_record(path: Path, key: str, value) -> None:
    """Append one record as its own gzip member (one write; see the module docstring)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    member = gzip.compress(_line(key, value), mtime=0)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, member)
    finally:
        os.close(fd)


def read_records(path: Path) -> tuple[list[tuple[str, object]], int, bool]:
    """Every complete record of the file in file order, the number of gzip members, and whether
    anything was torn (an incomplete member or line, dropped). A missing file has no records."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return [], 0, False
    records: list[tuple[str, object]] = []
    members = 0
    torn = False
    view, pos = memoryview(data), 0
    while pos < len(data):
        d = zlib.decompressobj(wbits=31)  # one gzip member, fed in growing slices so that
        parts, step = [], 4096             # many small members cost no quadratic copying
        try:
            while not d.eof and pos < len(data):
                parts.append(d.decompress(view[pos:pos + step]))
                pos += min(step, len(data) - pos)
                step = min(2 * step, 2**20)
        except zlib.error:
            torn = True
            break
        if not d.eof:  # the member stops mid-stream: a killed append
            torn = True
            break
        pos -= len(d.unused_data)
        members += 1
        lines = b"".join(parts).split(b"\n")
        if lines[-1]:  # a member always ends with a newline
            torn = True
        for raw in lines[:-1]:
            try:
                rec = json.loads(raw)
                records.append((rec["key"], rec["value"]))
            except (ValueError, KeyError, TypeError):
                torn = True
    return records, members, torn


def write_canonical(path: Path, records: dict) -> None:
    """Atomically replace `path` by one gzip member of `records` sorted by key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = b"".join(_line(k, records[k]) for k in sorted(records))
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(gzip.compress(body, compresslevel=9, mtime=0))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Checkpoints:
    """The records of one checkpoint file, kept in memory; `put` appends to the file.

    Parameters
    ----------
    path : path-like
        The ``*.jsonl.gz`` file; created by the first `put`.
    """

    def __init__(self, path) -> None:
        self.path = Path(path)
        self.reload()

    def reload(self) -> None:
        """Read the file again (another process may have appended); repair a torn tail."""
        records, members, torn = read_records(self.path)
        self._records = dict(records)
        keys = [k for k, _ in records]
        self._canonical = not torn and members <= 1 and all(a < b for a, b in zip(keys, keys[1:]))
        if torn:  # drop the torn tail now, before anything is appended behind it
            write_canonical(self.path, self._records)
            self._canonical = True

    def get(self, key: str, default=None):
        return self._records.get(key, default)

    def __contains__(self, key: str) -> bool:
        return key in self._records

    def __len__(self) -> int:
        return len(self._records)

    def put(self, key: str, value) -> None:
        """Save `value` under `key` (replacing an earlier one) durably, then keep it in memory."""
        value = json.loads(json.dumps(value, default=_jsonable))  # what a reader will see
        append_record(self.path, key, value)
        self._records[key] = value
        self._canonical = False

    def items(self, prefix: str = "") -> Iterator[tuple[str, object]]:
        """(key, value) of the keys that start with `prefix`, sorted by key."""
        for k in sorted(self._records):
            if k.startswith(prefix):
                yield k, self._records[k]

    def compact(self) -> None:
        """Rewrite the file in canonical form (a no-op when it already is)."""
        if not self._canonical:
            write_canonical(self.path, self._records)
            self._canonical = True
