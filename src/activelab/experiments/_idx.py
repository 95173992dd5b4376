"""A reader of IDX files, the format of MNIST and Fashion-MNIST (gzip-compressed or raw).

An IDX file is a 4-byte magic number — two zero bytes, a type code, the number of dimensions —
then each dimension as a big-endian uint32, then the values in row-major (C) order, big-endian.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from .._errors import InvalidInputError

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in the IDX file `path` (compressed with gzip or not).

    Returns an array in native byte order with the file's shape and type. Raises
    `InvalidInputError` naming the file when it cannot be read, is not IDX, or is truncated.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == _GZIP_MAGIC:
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise InvalidInputError(f"cannot read {path}: {exc or type(exc).__name__}.") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES or raw[3] == 0:
        raise InvalidInputError(
            f"{path} is not an IDX file (magic number {raw[:4].hex() or 'missing'}); "
            "the file is corrupt or of another format."
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise InvalidInputError(f"{path} is truncated: its header ends after {len(raw)} bytes.")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_TYPES[raw[2]])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise InvalidInputError(
            f"{path} holds {len(raw)} bytes but its header ({'×'.join(map(str, shape))} of "
            f"{dtype.name}) needs {expected}; the file is truncated or corrupt."
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=False)
