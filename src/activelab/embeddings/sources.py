"""Read what `embed` and `activelab embed DATA` are given from disk: a table or JSONL file of
texts, an .npy/.npz of images, or a folder of PNG/JPEG images."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from .._errors import InvalidInputError
from .._jsonl import json_lines
from .images import DEFAULT_FILE_SIZE, list_image_files, load_image_files

TABLE_SUFFIXES = (".csv", ".parquet", ".pq")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
ARRAY_SUFFIXES = (".npy", ".npz")
NPZ_KEYS = ("X", "images", "x")


def read_data(path, *, text_column: str | None = None, image_size: int = DEFAULT_FILE_SIZE,
              color: str = "auto"):
    """The texts (list of str) or images (ndarray) stored at `path`, rows in file order
    (a folder's images sorted by relative path)."""
    path = Path(path).expanduser()
    if not path.exists():
        raise InvalidInputError(f"{path} does not exist.")
    if path.is_dir():
        return load_image_files(list_image_files(path), image_size=image_size, color=color)
    suffix = path.suffix.lower()
    if suffix in ARRAY_SUFFIXES:
        return read_array(path)
    if suffix in TABLE_SUFFIXES:
        return text_column_of(read_table(path), text_column, path.name)
    if suffix in JSONL_SUFFIXES:
        return read_jsonl(path, text_column or "text")
    raise InvalidInputError(
        f"cannot tell what {path.name} holds; give a table ({', '.join(TABLE_SUFFIXES)}) or JSONL "
        f"({', '.join(JSONL_SUFFIXES)}) of texts, an array file ({', '.join(ARRAY_SUFFIXES)}) of "
        "images, or a folder of PNG/JPEG images."
    )


def read_array(path: Path) -> np.ndarray:
    """An .npy array, or from an .npz the array `X` (or `images`, or its only array)."""
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"cannot read {path}: {exc}") from None
    if isinstance(data, np.ndarray):
        return data
    with data:
        keys = list(data.files)
        key = next((k for k in NPZ_KEYS if k in keys), keys[0] if len(keys) == 1 else None)
        if key is None:
            raise InvalidInputError(f"{path.name} holds arrays {keys}; name the images 'X'.")
        return data[key]


def read_table(path: Path):
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas comes with the cli extra
        raise InvalidInputError("reading tables needs pandas: pip install 'activelab[cli]'") from None
    try:
        return pd.read_csv(path) if path.suffix.lower() == ".csv" else pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pandas raises many types for unreadable files
        raise InvalidInputError(f"cannot read {path}: {exc}") from None


def text_column_of(df, column: str | None, where: str = "the table") -> list:
    """The texts of `column` of DataFrame `df` (default: `text`, else its only text column)."""
    if column is None:
        from pandas.api.types import is_object_dtype, is_string_dtype

        text_cols = [c for c in df.columns if is_string_dtype(df[c]) or is_object_dtype(df[c])]
        if "text" in df.columns:
            column = "text"
        elif len(text_cols) == 1:
            column = text_cols[0]
        else:
            raise InvalidInputError(
                f"{where} has {'no' if not text_cols else 'several'} text columns "
                f"({', '.join(map(str, text_cols)) or 'columns: ' + ', '.join(map(str, df.columns))});"
                " name one with text_column= (--text-column)."
            )
    if column not in df.columns:
        raise InvalidInputError(f"{where} has no column {column!r}; columns: {', '.join(map(str, df.columns))}.")
    return df[column].tolist()


def read_jsonl(path: Path, field: str) -> list:
    """The `field` of each JSON object, one per non-blank line."""
    texts = []
    for lineno, obj in json_lines(path, InvalidInputError):
        if not isinstance(obj, dict) or field not in obj:
            raise InvalidInputError(f"{path.name} line {lineno} has no field {field!r}; "
                                    "name the text field with text_column= (--text-column).")
        texts.append(obj[field])
    if not texts:
        raise InvalidInputError(f"{path} has no lines.")
    return texts


def save_npy(path, X: np.ndarray) -> Path:
    """Write `X` to `path` (.npy) atomically: a temporary file beside it, then a rename."""
    path = Path(path).expanduser()
    if path.suffix.lower() != ".npy":
        raise InvalidInputError(f"the output must be an .npy file; got {path.name!r}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, X, allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
