"""Turn imported items into a feature matrix, offline.

`--features` takes one of:

- ``auto`` (default): ``pixels:16`` for images; the numeric columns of a table (or TF-IDF of
  its first text column when it has none); ``tfidf`` for JSONL.
- ``pixels[:N]``: each image resized to N×N (default 16), RGB, scaled to [0, 1] and flattened
  (3·N² features). Crude but dependency-free; for real work pass an embedding file.
- ``tfidf[:COLUMN]``: TF-IDF of a text column or field (word 1–2-grams, sublinear tf).
- ``columns:a,b,c``: these numeric table columns.
- ``sentence[:COLUMN]``: sentence embeddings (all-MiniLM-L6-v2, 384 dims, offline; extra
  ``embed``) of a text column or JSONL field (default: ``text``, or the first text column).
- ``ssl[:N]``: images resized to N×N (default 32), then a self-supervised (SimCLR) encoder
  trained on them, seed 0; its 128-dim embedding (extra ``torch``; a minute or two per 10⁴ images).
- ``PATH.npy`` or ``embed:PATH.npy``: your own embedding (e.g. from ``activelab embed``), shape
  (n_items, n_dims), rows in item order (images sorted by relative path, table rows and JSONL
  lines in file order).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._errors import InvalidInputError
from .importers import Source
from .project import ProjectError

DEFAULT_PIXELS = 16


DEFAULT_SSL_SIZE = 32


def text_field_of(spec: str) -> str | None:
    """The text field named by a ``tfidf:FIELD`` or ``sentence:FIELD`` spec (JSONL reading
    needs it up front)."""
    if spec.startswith(("tfidf:", "sentence:")):
        return spec.split(":", 1)[1] or None
    return None


def compute_features(source: Source, spec: str, items: list[dict] | None = None):
    """The feature matrix for `items` (default: the source's items, in order), and the terms
    its columns stand for when it is TF-IDF (the vectorizer's vocabulary, in column order;
    None for other features): ``(X, terms)``.

    `items` may reorder the source's items (re-import keeps old pool positions); rows follow it.
    """
    spec = (spec or "auto").strip()
    order, terms = None, None
    if items is not None:
        pos = {it["item_id"]: i for i, it in enumerate(source.items)}
        order = np.array([pos[it["item_id"]] for it in items], dtype=np.intp)
    if spec.lower().endswith(".npy"):
        X = _embedding(Path(spec.removeprefix("embed:")), len(source.items))
    elif source.kind == "images" and (spec == "ssl" or spec.startswith("ssl:")):
        X = _ssl(source, spec)
    elif source.kind == "images":
        X = _pixels(source, spec)
    elif spec == "sentence" or spec.startswith("sentence:"):
        X = _sentence(source, spec)
    elif source.kind == "text":
        if spec not in ("auto", "tfidf") and not spec.startswith("tfidf:"):
            raise ProjectError(
                f"JSONL text takes --features tfidf[:FIELD], sentence[:FIELD] or a .npy file; got {spec!r}."
            )
        X, terms = _tfidf(source.texts)
    else:
        X, terms = _table(source, spec)
    return (X if order is None else X[order]), terms


def _pixels(source: Source, spec: str) -> np.ndarray:
    if spec == "auto":
        size = DEFAULT_PIXELS
    elif spec == "pixels" or spec.startswith("pixels:"):
        raw = spec.partition(":")[2] or str(DEFAULT_PIXELS)
        if not raw.isdigit() or not 2 <= int(raw) <= 128:
            raise ProjectError(f"--features pixels:N needs N between 2 and 128; got {spec!r}.")
        size = int(raw)
    else:
        raise ProjectError(f"images take --features auto, pixels[:N], ssl[:N] or a .npy file; got {spec!r}.")
    from PIL import Image, UnidentifiedImageError

    out = np.empty((len(source.items), 3 * size * size), dtype=np.float32)
    for i, item in enumerate(source.items):
        path = source.root / item["path"]
        try:
            with Image.open(path) as img:
                small = img.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
        except (OSError, UnidentifiedImageError) as exc:
            raise ProjectError(f"cannot read image {item['path']!r}: {exc}") from None
        out[i] = np.asarray(small, dtype=np.float32).reshape(-1) / 255.0
    return out


def _sentence(source: Source, spec: str) -> np.ndarray:
    """Sentence embeddings of the JSONL texts (read with the spec's field) or a table column."""
    from ..embeddings import embed

    if source.kind == "text":
        texts = source.texts
    elif source.kind == "table":
        df = source.table
        col = spec.partition(":")[2] or _first_text_column(df, {"id", "item_id"})
        if col not in df.columns:
            raise ProjectError(f"--features {spec}: no column {col!r}; columns: {list(df.columns)}.")
        texts = df[col].tolist()
    else:
        raise ProjectError(f"--features {spec} embeds text; for images use ssl[:N].")
    try:
        return embed(texts, "sentence", progress=True)
    except InvalidInputError as exc:
        raise ProjectError(f"--features {spec}: {exc}") from None


def _ssl(source: Source, spec: str) -> np.ndarray:
    """A SimCLR encoder trained on the project's images (seed 0), their backbone embeddings."""
    from ..embeddings import embed, load_image_files

    raw = spec.partition(":")[2] or str(DEFAULT_SSL_SIZE)
    if not raw.isdigit() or not 8 <= int(raw) <= 64:
        raise ProjectError(f"--features ssl:N needs N between 8 and 64; got {spec!r}.")
    try:
        images = load_image_files([source.root / it["path"] for it in source.items],
                                  image_size=int(raw))
        return embed(images, "ssl", random_state=0, progress=True)
    except InvalidInputError as exc:
        raise ProjectError(f"--features {spec}: {exc}") from None


def _tfidf(texts: list[str]):
    """(TF-IDF matrix, its terms in column order)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, max_features=50_000)
    try:
        X = vec.fit_transform(texts).astype(np.float32).tocsr()
    except ValueError as exc:  # e.g. every document empty
        raise ProjectError(f"cannot build TF-IDF features: {exc}") from None
    return X, [str(t) for t in vec.get_feature_names_out()]


def _table(source: Source, spec: str):
    """(features of the table, TF-IDF terms or None)."""
    df = source.table
    id_cols = {"id", "item_id"}
    if spec.startswith("tfidf"):
        col = spec.partition(":")[2] or _first_text_column(df, id_cols)
        if col not in df.columns:
            raise ProjectError(f"--features {spec}: no column {col!r}; columns: {list(df.columns)}.")
        return _tfidf(df[col].fillna("").astype(str).tolist())
    if spec.startswith("columns:"):
        cols = [c.strip() for c in spec.split(":", 1)[1].split(",") if c.strip()]
        unknown = [c for c in cols if c not in df.columns]
        if not cols or unknown:
            raise ProjectError(f"--features {spec}: unknown columns {unknown}; columns: {list(df.columns)}.")
    elif spec == "auto":
        cols = [c for c in df.select_dtypes(include="number").columns if c not in id_cols]
        if not cols:
            return _tfidf(df[_first_text_column(df, id_cols)].fillna("").astype(str).tolist())
    else:
        raise ProjectError(
            f"tables take --features auto, columns:A,B, tfidf[:COLUMN], sentence[:COLUMN] or a .npy "
            f"file; got {spec!r}."
        )
    try:
        X = df[cols].to_numpy(dtype=np.float32)
    except (TypeError, ValueError):
        raise ProjectError(f"columns {cols} must be numeric to be used as features.") from None
    if not np.isfinite(X).all():
        bad = int((~np.isfinite(X)).any(axis=1).sum())
        raise ProjectError(f"{bad} row(s) have missing or infinite values in {cols}; fill them first.")
    return X, None


def _first_text_column(df, skip) -> str:
    if "text" in df.columns:
        return "text"
    for col in df.columns:
        if col not in skip and df[col].dtype == object:
            return col
    raise ProjectError("the table has neither numeric nor text columns to compute features from.")


def _embedding(path: Path, n_items: int) -> np.ndarray:
    path = path.expanduser()
    try:
        X = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ProjectError(f"cannot read the embedding file {path}: {exc}") from None
    if X.ndim != 2 or X.shape[0] != n_items:
        raise ProjectError(
            f"{path.name} has shape {X.shape}; it needs ({n_items}, n_dims): one row per item, in "
            "item order."
        )
    if X.dtype.kind not in "fiu" or not np.isfinite(X).all():
        raise ProjectError(f"{path.name} must hold finite numbers.")
    return np.ascontiguousarray(X, dtype=np.float32)
