"""Read a data source into items: a folder of images, a CSV/Parquet table, or JSONL text.

Each item gets a stable `item_id`: the image's path relative to the data folder, the table's
`id` (or `item_id`) column when there is one (else `row-N`), the JSONL object's `id` field
(else `line-N`). Re-importing the same data yields the same ids, so `activelab init` can be run
again safely: known items keep their pool position, new ones are appended.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from .._jsonl import json_lines
from .project import CONTROL_CHARACTERS, ProjectError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
TABLE_SUFFIXES = (".csv", ".parquet", ".pq")
TEXT_SUFFIXES = (".jsonl", ".ndjson")
ID_COLUMNS = ("id", "item_id")
MAX_ID_LENGTH = 512
MAX_FIELD_CHARS = 2000


@dataclass
class Source:
    """What was read: one dict per item (`item_id`, `kind`, and `path`, `text` or `fields`) and
    the raw material features are computed from (`table`: a DataFrame for tables, `texts`)."""

    kind: str  # "images" | "table" | "text"
    root: Path
    items: list[dict]
    table: object = None
    texts: list[str] | None = None


def data_kind(path: Path) -> str:
    """'images' for a folder, 'table' for CSV/Parquet, 'text' for JSONL."""
    if path.is_dir():
        return "images"
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return "table"
    if suffix in TEXT_SUFFIXES:
        return "text"
    raise ProjectError(
        f"cannot tell what {path} holds; --data takes a folder of images "
        f"({', '.join(IMAGE_SUFFIXES)}), a table ({', '.join(TABLE_SUFFIXES)}) or JSONL text "
        f"({', '.join(TEXT_SUFFIXES)})."
    )


def read_source(path, text_field: str | None = None) -> Source:
    """Read the data at `path` (see `data_kind`)."""
    path = Path(path).expanduser().resolve()
    if not path.exists():
        raise ProjectError(f"--data {path} does not exist.")
    kind = data_kind(path)
    if kind == "images":
        return read_images(path)
    if kind == "table":
        return read_table(path)
    return read_jsonl(path, text_field or "text")


def read_images(root: Path) -> Source:
    """Every PNG/JPEG under `root` (recursively, sorted; hidden entries and links that lead
    outside the folder are left out)."""
    items = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or not name.lower().endswith(IMAGE_SUFFIXES):
                continue
            full = Path(dirpath) / name
            if not full.resolve().is_relative_to(root):
                continue
            rel = full.relative_to(root).as_posix()
            if len(rel) > MAX_ID_LENGTH:
                raise ProjectError(f"image path {rel[:60]!r}… is longer than {MAX_ID_LENGTH} chars.")
            items.append({"item_id": rel, "kind": "image", "path": rel})
    if not items:
        raise ProjectError(f"{root} holds no images ({', '.join(IMAGE_SUFFIXES)}).")
    _check_ids([it["item_id"] for it in items], f"the image paths under {root}")
    items.sort(key=lambda it: it["item_id"])
    return Source("images", root, items)


def read_table(path: Path) -> Source:
    """A CSV or Parquet table: one item per row."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas comes with the cli extra
        raise ProjectError('reading tables needs pandas: pip install "activelab[cli]"') from None
    try:
        if path.suffix.lower() == ".csv":
            df = pd.read_csv(path)
        else:
            df = pd.read_parquet(path)
    except Exception as exc:  # pandas raises many types for unreadable files
        raise ProjectError(f"cannot read {path}: {exc}") from None
    if len(df) == 0:
        raise ProjectError(f"{path} has no rows.")
    id_col = next((c for c in ID_COLUMNS if c in df.columns), None)
    if id_col is not None:
        ids = _table_ids(path, df, id_col)
        _check_ids(ids, f"column {id_col!r} of {path.name}")
        df[id_col] = ids
    else:
        ids = [f"row-{i}" for i in range(len(df))]
    records = df.to_dict(orient="records")
    items = [
        {"item_id": iid, "kind": "row", "fields": {str(k): _json_value(v) for k, v in rec.items()}}
        for iid, rec in zip(ids, records)
    ]
    return Source("table", path.parent, items, table=df)


def _table_ids(path: Path, df, id_col: str) -> list[str]:
    """The id column as written: a CSV's text untouched (``001`` stays ``001``, ``3`` never
    becomes ``3.0``); a missing id is an error naming its row, never the id ``"nan"``."""
    import pandas as pd

    if path.suffix.lower() == ".csv":
        try:
            column = pd.read_csv(path, usecols=[id_col], dtype=str, keep_default_na=False)[id_col]
        except Exception as exc:  # pandas raises many types for unreadable files
            raise ProjectError(f"cannot read {path}: {exc}") from None
        values = column.tolist()
        if len(values) != len(df):  # pragma: no cover - the same file read twice
            raise ProjectError(f"cannot read the {id_col!r} column of {path} consistently.")
    else:
        values = [None if pd.isna(v) else str(v) for v in df[id_col].tolist()]
    for row, value in enumerate(values, start=1):
        if value is None or value == "":
            raise ProjectError(
                f"row {row} of {path.name} has no {id_col!r}; give every row an id, or drop "
                f"the {id_col!r} column to number the rows (row-0, row-1, ...)."
            )
    return values


def read_jsonl(path: Path, text_field: str) -> Source:
    """JSONL: one object per line with a text field (`text` unless told) and optionally `id`."""
    items, texts = [], []
    for lineno, obj in json_lines(path, ProjectError):
        if not isinstance(obj, dict) or not isinstance(obj.get(text_field), str):
            raise ProjectError(
                f"{path.name} line {lineno} needs a string field {text_field!r} "
                "(choose another with --features tfidf:FIELD)."
            )
        iid = _jsonl_id(obj, path, lineno)
        texts.append(obj[text_field])
        items.append({"item_id": iid, "kind": "text", "text": obj[text_field]})
    if not items:
        raise ProjectError(f"{path} has no items.")
    _check_ids([it["item_id"] for it in items], f"the 'id' fields of {path.name}")
    return Source("text", path.parent, items, texts=texts)


def _jsonl_id(obj: dict, path: Path, lineno: int) -> str:
    """The `id` field as text (a string or an integer; null, "" or 1.5 are errors)."""
    if "id" not in obj:
        return f"line-{lineno}"
    value = obj["id"]
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise ProjectError(f"{path.name} line {lineno} has the id {value!r}; an id is a "
                           "non-empty string or an integer (or leave 'id' out: line-N).")
    return str(value)


def merge_items(existing: list[dict], new: list[dict]) -> tuple[list[dict], int]:
    """Known items keep their pool position, new ones are appended: returns (items, n_added).

    Raises when items of the project vanished from the data (their labels would lose their
    meaning)."""
    if not existing:
        return [dict(it, idx=i) for i, it in enumerate(new)], len(new)
    by_id = {it["item_id"]: it for it in new}
    missing = [it["item_id"] for it in existing if it["item_id"] not in by_id]
    if missing:
        raise ProjectError(
            f"the data no longer holds {len(missing)} item(s) of this project (e.g. "
            f"{missing[0]!r}); restore them, or create a new project for the new data."
        )
    known = {it["item_id"] for it in existing}
    merged = [dict(by_id[it["item_id"]], idx=i) for i, it in enumerate(existing)]
    added = [it for it in new if it["item_id"] not in known]
    merged += [dict(it, idx=len(existing) + j) for j, it in enumerate(added)]
    return merged, len(added)


def _check_ids(ids: list[str], where: str) -> None:
    seen: set[str] = set()
    for iid in ids:
        if iid in seen:
            raise ProjectError(f"{where} repeats the id {iid!r}; item ids must be unique.")
        if not iid or len(iid) > MAX_ID_LENGTH:
            raise ProjectError(f"{where} holds an empty id or one longer than {MAX_ID_LENGTH} chars.")
        if CONTROL_CHARACTERS.search(iid):
            raise ProjectError(f"{where} holds the id {iid!r} with a control character; "
                               "item ids must be printable text.")
        seen.add(iid)


def _json_value(v):
    """A table cell as JSON: NaN → null, NumPy scalars → Python, long text cut."""
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (int, float, bool)) or v is None:
        return v
    text = str(v)
    return text if len(text) <= MAX_FIELD_CHARS else text[:MAX_FIELD_CHARS] + "…"
