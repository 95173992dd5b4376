"""A pool that lives in files: Parquet shards (or a Ray Dataset's blocks) read a block at a time.

Rows are addressed by an id column, never loaded whole: `ParquetPool` only reads the files'
metadata when it is made; the distributed query (`activelab.distributed`) streams the features
shard by shard in workers. Global row positions follow the pieces in order (files sorted by
path, row groups in file order), so ``pool.to_numpy()`` gives the in-memory pool whose row
positions the in-memory strategies use — what the tests compare against.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import InvalidInputError


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - pyarrow ships with the cli/ray extras
        raise ImportError(
            "ParquetPool needs pyarrow: pip install 'activelab[ray]' (or pyarrow)."
        ) from exc
    return pa, pq


@dataclass(frozen=True, repr=False)
class Piece:
    """A contiguous run of pool rows: row groups of one Parquet file, or one Ray block.

    `offset` is the global position of its first row; `source` is a path (str) or a Ray
    ObjectRef of a pyarrow Table; `row_groups` lists the file's row groups (None for a block);
    `filesystem` is the pyarrow FileSystem of a path that is not on the local disk (S3, GCS,
    HDFS, or any fsspec file system), None for local paths.
    """

    source: Any
    offset: int
    n_rows: int
    row_groups: tuple[int, ...] | None = None
    filesystem: Any = None

    @property
    def name(self) -> str:
        if isinstance(self.source, str):
            return self.source
        if hasattr(self.source, "num_rows"):
            return f"in-memory rows {self.offset}–{self.offset + self.n_rows - 1}"
        return "a Ray Dataset block"

    def __repr__(self) -> str:  # compact and unique per source (keys the Ray backend's actor reuse)
        if isinstance(self.source, str):
            fs = self.filesystem
            src = self.source if fs is None else f"{type(fs).__name__}@{id(fs):x}:{self.source}"
        elif hasattr(self.source, "num_rows"):
            src = f"table@{id(self.source):x}"
        else:
            src = repr(self.source)
        return f"Piece({src}, offset={self.offset}, n_rows={self.n_rows}, row_groups={self.row_groups})"


@dataclass(frozen=True)
class FeatureSpec:
    """Which columns hold the features: several numeric columns, or one list column of width d."""

    id_column: str
    columns: tuple[str, ...]
    list_column: bool
    width: int
    dtype: np.dtype

    @property
    def read_columns(self) -> list[str]:
        return [self.id_column, *self.columns]


def _numeric(t) -> bool:
    pa, _ = _pyarrow()
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)


def _feature_spec(schema, id_column: str, features, where: str) -> FeatureSpec:
    """Resolve `features` against a schema: which columns, list or not, width, dtype."""
    pa, _ = _pyarrow()
    names = list(schema.names)
    if id_column not in names:
        raise InvalidInputError(
            f"{where}: no id column {id_column!r}; columns are {names[:12]}. Pass id_column=."
        )
    if features is None:
        cols = [c for c in names if c != id_column]
    elif isinstance(features, str):
        cols = [features]
    else:
        cols = list(features)
    if not cols:
        raise InvalidInputError(f"{where}: no feature columns besides the id column {id_column!r}.")
    missing = [c for c in cols if c not in names]
    if missing:
        raise InvalidInputError(f"{where}: feature columns {missing} are missing; columns are {names[:12]}.")
    types = [schema.field(c).type for c in cols]
    lists = [pa.types.is_list(t) or pa.types.is_fixed_size_list(t) or pa.types.is_large_list(t)
             for t in types]
    if any(lists):
        if len(cols) != 1:
            raise InvalidInputError(
                f"{where}: a list (embedding) column must be the only feature column; got {cols}."
            )
        t = types[0]
        if not _numeric(t.value_type):
            raise InvalidInputError(f"{where}: column {cols[0]!r} holds {t.value_type}, not numbers.")
        width = t.list_size if pa.types.is_fixed_size_list(t) else -1  # -1: checked per block
        dtype = np.float32 if t.value_type == pa.float32() else np.float64
        return FeatureSpec(id_column, tuple(cols), True, width, np.dtype(dtype))
    bad = [f"{c} ({t})" for c, t in zip(cols, types) if not _numeric(t)]
    if bad:
        raise InvalidInputError(
            f"{where}: feature columns must be numeric; {bad} are not (drop them with features=)."
        )
    dtype = np.float32 if all(t == pa.float32() for t in types) else np.float64
    return FeatureSpec(id_column, tuple(cols), False, len(cols), np.dtype(dtype))


def block_arrays(batch, spec: FeatureSpec, where: str) -> tuple[Any, np.ndarray]:
    """(ids as an Arrow array, features (rows, d) in the pool's dtype) of one record batch,
    with a clear error for nulls, NaN/infinity and rows of the wrong width."""
    pa, _ = _pyarrow()
    import pyarrow.compute as pc

    ids = batch.column(spec.id_column)
    if ids.null_count:
        raise InvalidInputError(f"{where}: the id column {spec.id_column!r} has missing values.")
    n = batch.num_rows
    if spec.list_column:
        col = batch.column(spec.columns[0])
        if col.null_count:
            bad = ids.filter(col.is_null())[0]
            raise InvalidInputError(f"{where}: row {bad} has no features (null list).")
        if pa.types.is_fixed_size_list(col.type):
            width = col.type.list_size
            values = col.flatten()
        else:
            lengths = pc.list_value_length(col).to_numpy(zero_copy_only=False)
            width = spec.width if spec.width > 0 else (int(lengths[0]) if n else 0)
            wrong = np.flatnonzero(lengths != width)
            if wrong.size:
                raise InvalidInputError(
                    f"{where}: mismatched feature widths: row {ids[int(wrong[0])]} has "
                    f"{int(lengths[wrong[0]])} values, others {width}."
                )
            values = col.flatten()
        if spec.width > 0 and width != spec.width:
            raise InvalidInputError(
                f"{where}: mismatched feature widths: {width} values per row here, {spec.width} "
                "in the pool's first shard."
            )
        if values.null_count:
            raise InvalidInputError(f"{where}: the features hold missing values (nulls).")
        X = np.asarray(values.to_numpy(zero_copy_only=False), dtype=spec.dtype).reshape(n, width)
    else:
        X = np.empty((n, len(spec.columns)), dtype=spec.dtype)
        for j, c in enumerate(spec.columns):
            col = batch.column(c)
            if col.null_count:
                bad = ids.filter(col.is_null())[0]
                raise InvalidInputError(f"{where}: row {bad} has a missing value in column {c!r}.")
            X[:, j] = col.to_numpy(zero_copy_only=False)
    finite = np.isfinite(X).all(axis=1)
    if not finite.all():
        bad = ids[int(np.flatnonzero(~finite)[0])]
        raise InvalidInputError(
            f"{where}: row {bad} has NaN or infinity in its features; impute or drop it."
        )
    return ids, X


def iter_piece(piece: Piece, spec: FeatureSpec, block_rows: int, *,
               columns: Sequence[str] | None = None, use_threads: bool = False) -> Iterator[Any]:
    """Record batches of one piece, `block_rows` at a time (only `columns`, default the id and
    the features). A missing or unreadable file is an InvalidInputError naming it."""
    cols = list(columns) if columns is not None else spec.read_columns
    if isinstance(piece.source, str):
        _, pq = _pyarrow()
        try:
            pf = pq.ParquetFile(piece.source, filesystem=piece.filesystem)
            yield from pf.iter_batches(batch_size=block_rows, row_groups=list(piece.row_groups),
                                       columns=cols, use_threads=use_threads)
        except FileNotFoundError as exc:
            raise InvalidInputError(f"shard {piece.source} is missing (was it moved or deleted?).") from exc
        except (OSError, _pyarrow()[0].ArrowException) as exc:
            raise InvalidInputError(f"shard {piece.source} cannot be read: {exc}") from exc
    else:
        table = piece.source
        if not hasattr(table, "num_rows"):  # a Ray ObjectRef of a table
            import ray

            table = ray.get(table)
        yield from table.select(cols).to_batches(max_chunksize=block_rows)


class ParquetPool:
    """A pool of rows in Parquet files (or a Ray Dataset), addressed by an id column.

    Parameters
    ----------
    path : str, Path or list of them
        A Parquet file, a directory (every ``*.parquet`` below it, sorted by path) or a list of
        files; local, or a URI pyarrow opens (``s3://bucket/prefix/``, ``gs://…``,
        ``hdfs://…``, ``file:///…``) — every Ray node must be able to read it.
    id_column : str, default "id"
        Unique row ids; labels are given by id and `query` returns ids.
    features : None, str or list of str
        The feature columns: every column but the id (default), a list of numeric columns, or
        the name of one list column holding an embedding per row.
    filesystem : pyarrow.fs.FileSystem or fsspec file system, optional
        Where `path` lives, when it is not a local path or a URI (e.g. an S3FileSystem with its
        own credentials and region).

    Only metadata is read here (schemas and row counts); the features are streamed by the
    query's workers. Every shard must hold the same columns with the same types.
    """

    def __init__(self, path, id_column: str = "id", features=None, filesystem=None) -> None:
        _, pq = _pyarrow()
        fs, path = _resolve_filesystem(path, filesystem)
        files = _discover(path) if fs is None else _discover_on(fs, path)
        self.id_column = id_column
        self.features = features
        self.filesystem = fs
        pieces, spec, offset = [], None, 0
        for f in files:
            try:
                meta = pq.ParquetFile(f, filesystem=fs)
                schema = meta.schema_arrow
            except FileNotFoundError as exc:
                raise InvalidInputError(f"shard {f} is missing.") from exc
            except Exception as exc:  # pyarrow raises ArrowInvalid/OSError on a corrupt file
                raise InvalidInputError(f"shard {f} is not a readable Parquet file: {exc}") from exc
            here = _feature_spec(schema, id_column, features, f"shard {f}")
            if here.list_column and here.width < 0:  # a plain list: its width from the first row
                here = replace(here, width=_first_width(meta, here.columns[0], f))
            if spec is None:
                spec = here
            elif here.columns != spec.columns or here.dtype != spec.dtype or (
                    here.width > 0 and spec.width > 0 and here.width != spec.width):
                raise InvalidInputError(
                    f"shard {f} does not match the first shard: mismatched feature widths or "
                    f"types ({here.width} × {here.dtype} in {list(here.columns)[:5]}, first shard "
                    f"{spec.width} × {spec.dtype} in {list(spec.columns)[:5]})."
                )
            md = meta.metadata
            groups = tuple(range(md.num_row_groups))
            if md.num_rows:
                pieces.append(Piece(str(f), offset, md.num_rows, groups, fs))
                offset += md.num_rows
        if spec is None or not pieces:
            raise InvalidInputError(f"the pool at {path} has no rows.")
        self.pieces: list[Piece] = pieces
        self.spec: FeatureSpec = spec
        self._index = None

    @classmethod
    def from_ray(cls, dataset, id_column: str = "id", features=None) -> "ParquetPool":
        """A pool over a `ray.data.Dataset` (its blocks, materialized in Ray's object store).

        The dataset is materialized once; its blocks are the pieces, in the dataset's order.
        """
        import ray

        from ..backends.ray import release

        release()  # actors kept by a loop hold the CPUs the dataset's tasks need
        refs = dataset.to_arrow_refs()
        schema = dataset.schema()
        schema = getattr(schema, "base_schema", schema)
        spec = _feature_spec(schema, id_column, features, "the Ray Dataset")
        counts = ray.get([_num_rows_remote().remote(r) for r in refs])
        if spec.list_column and spec.width < 0:  # a plain list: its width from the first row
            first = next((r for r, n in zip(refs, counts) if n), None)
            if first is not None:
                import pyarrow.compute as pc

                width = pc.list_value_length(ray.get(first).column(spec.columns[0]))[0].as_py()
                spec = replace(spec, width=int(width) if width is not None else -1)
        self = cls.__new__(cls)
        self.id_column, self.features, self.spec, self._index = id_column, features, spec, None
        pieces, offset = [], 0
        for ref, n in zip(refs, counts):
            if n:
                pieces.append(Piece(ref, offset, int(n), None))
                offset += int(n)
        if not pieces:
            raise InvalidInputError("the Ray Dataset has no rows.")
        self.pieces = pieces
        return self

    @classmethod
    def from_arrays(cls, X, ids=None, *, piece_rows: int = 1 << 20) -> "ParquetPool":
        """A pool over an in-memory 2-D array (ids: default the row positions), split into
        pieces of `piece_rows` rows without copying a contiguous float array: so the runner and
        the service can send an in-memory pool to the same distributed code."""
        pa, _ = _pyarrow()
        X = np.asarray(X)
        if X.ndim != 2 or X.dtype.kind not in "fiub":
            raise InvalidInputError(f"from_arrays needs a 2-D numeric array; got {X.dtype} {X.shape}.")
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        X = np.ascontiguousarray(X)
        n, d = X.shape
        ids = np.arange(n, dtype=np.int64) if ids is None else np.asarray(ids)
        if ids.shape != (n,):
            raise InvalidInputError(f"ids must have one entry per row ({n}); got shape {ids.shape}.")
        self = cls.__new__(cls)
        self.id_column, self.features, self._index = "id", "features", None
        self.spec = FeatureSpec("id", ("features",), True, d, np.dtype(X.dtype))
        self.pieces = []
        for start in range(0, n, max(1, int(piece_rows))):
            block = X[start:start + piece_rows]
            values = pa.FixedSizeListArray.from_arrays(pa.array(block.reshape(-1)), d)
            table = pa.table({"id": pa.array(ids[start:start + piece_rows]), "features": values})
            self.pieces.append(Piece(table, start, block.shape[0], None))
        if not self.pieces:
            raise InvalidInputError("from_arrays: the array has no rows.")
        return self

    @property
    def n_rows(self) -> int:
        return sum(p.n_rows for p in self.pieces)

    @property
    def n_features(self) -> int:
        """Feature width (for a variable-length list column, read from the first row)."""
        if self.spec.width > 0:
            return self.spec.width
        return int(next(self.iter_blocks(1))[1].shape[1])

    def __repr__(self) -> str:
        return (f"ParquetPool({self.n_rows} rows in {len(self.pieces)} pieces, "
                f"id_column={self.id_column!r}, features={self.spec.width if self.spec.width > 0 else '?'} "
                f"× {self.spec.dtype})")

    def iter_blocks(self, block_rows: int = 65536) -> Iterator[tuple[Any, np.ndarray]]:
        """(ids, features) one block at a time, over the whole pool in order."""
        for piece in self.pieces:
            for batch in iter_piece(piece, self.spec, block_rows):
                yield block_arrays(batch, self.spec, piece.name)

    def to_numpy(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, X) of the whole pool in memory, in row order: for small pools and for comparing
        with the in-memory strategies."""
        ids, blocks = [], []
        for i, X in self.iter_blocks():
            ids.append(i.to_numpy(zero_copy_only=False))
            blocks.append(X)
        return np.concatenate(ids), np.concatenate(blocks)

    def fingerprint(self) -> tuple:
        """What identifies the pool's contents cheaply: each file's path, size and mtime."""
        out = []
        for p in self.pieces:
            if isinstance(p.source, str) and p.filesystem is not None:
                info = p.filesystem.get_file_info(p.source)
                if info.type.name == "NotFound":
                    raise InvalidInputError(f"shard {p.source} is missing.")
                out.append((p.source, info.size, info.mtime_ns))
            elif isinstance(p.source, str):
                try:
                    st = os.stat(p.source)
                except FileNotFoundError as exc:
                    raise InvalidInputError(f"shard {p.source} is missing.") from exc
                out.append((p.source, st.st_size, st.st_mtime_ns))
            else:  # a table or a Ray block: immutable, identified by the object
                out.append((p.source.hex() if hasattr(p.source, "hex") else id(p.source),))
        return tuple(out)


def _discover(path) -> list[str]:
    if isinstance(path, (list, tuple)):
        files = [str(p) for p in path]
    else:
        p = Path(path)
        if p.is_dir():
            files = sorted(str(f) for f in p.rglob("*.parquet") if f.is_file())
            if not files:
                raise InvalidInputError(f"no *.parquet files under {p}.")
        elif p.exists():
            files = [str(p)]
        else:
            raise InvalidInputError(f"no such file or directory: {p}.")
    for f in files:
        if not os.path.exists(f):
            raise InvalidInputError(f"shard {f} is missing.")
    return files


def _first_width(pf, column: str, where) -> int:
    """Values in the first row of a plain list column (every row must match it)."""
    import pyarrow.compute as pc

    for batch in pf.iter_batches(batch_size=1, columns=[column]):
        if batch.num_rows:
            width = pc.list_value_length(batch.column(0))[0].as_py()
            if width is None:
                raise InvalidInputError(f"shard {where}: the first row has no features (null list).")
            return int(width)
    return -1


def _resolve_filesystem(path, filesystem):
    """(pyarrow FileSystem or None for the local disk, path(s) on it): an explicit
    `filesystem` (pyarrow's, or an fsspec one wrapped), else a URI's (``s3://…``)."""
    if filesystem is not None:
        import pyarrow.fs as pafs

        if not isinstance(filesystem, pafs.FileSystem):  # an fsspec file system
            filesystem = pafs.PyFileSystem(pafs.FSSpecHandler(filesystem))
        paths = [str(p) for p in path] if isinstance(path, (list, tuple)) else str(path)
        return filesystem, paths
    first = str(path[0]) if isinstance(path, (list, tuple)) and path else str(path)
    if "://" not in first:
        return None, path
    import pyarrow.fs as pafs

    try:
        fs, _ = pafs.FileSystem.from_uri(first)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises ArrowInvalid/OSError by scheme
        raise InvalidInputError(f"cannot open {first}: {exc}") from exc
    if isinstance(path, (list, tuple)):
        return fs, [pafs.FileSystem.from_uri(str(p))[1] for p in path]
    return fs, pafs.FileSystem.from_uri(first)[1]


def _discover_on(fs, path) -> list[str]:
    """The Parquet files at `path` (a file, a directory searched recursively, or a list) on a
    pyarrow FileSystem, sorted."""
    import pyarrow.fs as pafs

    if isinstance(path, list):
        infos = fs.get_file_info(path)
        missing = [i.path for i in infos if i.type == pafs.FileType.NotFound]
        if missing:
            raise InvalidInputError(f"shard {missing[0]} is missing.")
        return path
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.NotFound:
        raise InvalidInputError(f"no such file or directory: {path}.")
    if info.type == pafs.FileType.File:
        return [path]
    found = fs.get_file_info(pafs.FileSelector(path, recursive=True))
    files = sorted(i.path for i in found if i.type == pafs.FileType.File and i.path.endswith(".parquet"))
    if not files:
        raise InvalidInputError(f"no *.parquet files under {path}.")
    return files


_NUM_ROWS = None


def _num_rows_remote():
    global _NUM_ROWS
    if _NUM_ROWS is None:
        import ray

        _NUM_ROWS = ray.remote(lambda table: table.num_rows)
    return _NUM_ROWS
