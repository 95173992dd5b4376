"""`embed`: one entry point for the three ways to turn a pool into vectors."""

from __future__ import annotations

import importlib
import os

import numpy as np

from .._errors import InvalidInputError, UnknownNameError
from .images import DEFAULT_FILE_SIZE
from .sources import read_data, text_column_of
from .text import DEFAULT_BATCH_SIZE

METHODS = ("sentence", "ssl")


def embed(data, method: str = "sentence", *, text_column: str | None = None,
          batch_size: int | None = None, random_state=None, progress: bool = False,
          **options) -> np.ndarray:
    """Embed every item of a pool: one float32 row per item, in the pool's order.

    Parameters
    ----------
    data : sequence of str, DataFrame, array-like of images, or path
        Texts (list, array or Series of strings; a DataFrame with `text_column`), images
        ((n, H, W), (n, C, H, W), (n, H, W, C) with C = 1 or 3, or flattened squares (n, s*s);
        integers read as 0–255), or a path: a CSV/Parquet/JSONL file of texts, an .npy/.npz
        file of images, or a folder of PNG/JPEG images (sorted by relative path; any other
        file is an error; resized to `image_size`, default 32, grayscale when all are).
    method : {"sentence", "ssl"} or "module:function", default "sentence"
        - ``"sentence"``: all-MiniLM-L6-v2 sentence embeddings, (n, 384), unit length, offline
          (extra ``embed``). Deterministic.
        - ``"ssl"``: a SimCLR encoder trained on these images themselves (extra ``torch``);
          returns the backbone's embeddings, (n, embed_dim). Options: see
          `activelab.embeddings.simclr.SSLConfig` and `activelab.embeddings.augment.Augment`
          (epochs, lr, temperature, embed_dim, width, image_size, crop_scale, flip, ...).
        - ``"package.module:function"``: your encoder, called as ``function(data, **options)``
          (a path is read first); it must return an array of shape (n, d), finite.
    text_column : str, optional
        The text column of a DataFrame or table file (the field of a JSONL file). Default:
        ``text``, or the only text column.
    batch_size : int, optional
        ``sentence``: texts per forward pass (default 64); ``ssl``: images per training step
        (default 256).
    random_state : int, numpy.random.Generator or None
        Seeds ``ssl`` training (same seed and thread count, same embedding). The global NumPy
        and torch generators are left untouched. Ignored by ``sentence``.
    progress : bool, default False
        Show a progress bar (Rich, on stderr).

    Returns
    -------
    ndarray of shape (n_items, n_dims), float32

    Raises
    ------
    InvalidInputError
        Empty or missing texts, images of an unusable shape, unreadable files, a missing extra,
        an encoder that returns the wrong number of rows or non-finite values.
    UnknownNameError
        An unknown method name.
    """
    if not isinstance(method, str) or not method:
        raise InvalidInputError(f"method must be 'sentence', 'ssl' or 'module:function'; got {method!r}.")
    if ":" not in method and method not in METHODS:
        raise UnknownNameError("embedding method", method, METHODS)
    if isinstance(data, (str, os.PathLike)):
        image_size = options.pop("image_size", DEFAULT_FILE_SIZE) if method != "ssl" \
            else options.get("image_size") or DEFAULT_FILE_SIZE
        data = _read_path(data, text_column, image_size, options.pop("color", "auto"))
    elif hasattr(data, "columns") and hasattr(data, "iloc"):  # a DataFrame
        if method == "ssl":
            raise InvalidInputError("method='ssl' embeds images; got a DataFrame. Pass an image array.")
        if method == "sentence" or text_column is not None:
            data = text_column_of(data, text_column, "the DataFrame")
    if method == "sentence":
        return _sentence(data, batch_size, progress, options)
    if method == "ssl":
        return _ssl(data, batch_size, random_state, progress, options)
    return _custom(data, method, options)


def _read_path(path, text_column, image_size, color):
    if not os.path.exists(path):
        hint = "; to embed texts pass a list of strings" if isinstance(path, str) else ""
        raise InvalidInputError(f"{str(path)!r} is not an existing file or folder{hint}.")
    return read_data(path, text_column=text_column, image_size=image_size, color=color)


def _sentence(data, batch_size, progress, options) -> np.ndarray:
    if options:
        raise InvalidInputError(f"method='sentence' takes no option(s) {', '.join(sorted(options))}.")
    if isinstance(data, np.ndarray) and data.dtype.kind in "fiub":
        raise InvalidInputError(
            f"method='sentence' embeds texts; got a numeric array of shape {data.shape}. For "
            "images use method='ssl'."
        )
    from .text import sentence_embeddings

    return sentence_embeddings(data, batch_size=DEFAULT_BATCH_SIZE if batch_size is None else batch_size,
                               progress=progress)


def _ssl(data, batch_size, random_state, progress, options) -> np.ndarray:
    from .images import as_images

    images = as_images(data)  # shape errors before the torch import
    try:
        from .simclr import SSLConfig, ssl_embeddings
    except ImportError as exc:
        raise InvalidInputError(
            f"method='ssl' needs torch ({exc}); install it with: pip install torch==2.13.0 "
            "(the torch extra)."
        ) from None
    if batch_size is not None:
        options = {**options, "batch_size": batch_size}
    config = SSLConfig.from_options(options)
    return ssl_embeddings(images, config, seed=_seed(random_state), progress=progress)


def _custom(data, method: str, options) -> np.ndarray:
    module_name, _, attr = method.partition(":")
    try:
        fn = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise InvalidInputError(f"cannot import the encoder {method!r}: {exc}") from None
    if not callable(fn):
        raise InvalidInputError(f"the encoder {method!r} is not callable.")
    try:
        n = len(data)
    except TypeError:
        raise InvalidInputError(f"cannot count the items of a {type(data).__name__}; pass a sequence, "
                                "an array or a DataFrame.") from None
    Z = np.asarray(fn(data, **options))
    if Z.ndim != 2 or Z.shape[0] != n:
        raise InvalidInputError(
            f"the encoder {method!r} returned shape {Z.shape}; it must return one row per item: "
            f"({n}, n_dims)."
        )
    if Z.dtype.kind not in "fiub":
        raise InvalidInputError(f"the encoder {method!r} returned dtype {Z.dtype}; it must return numbers.")
    Z = Z.astype(np.float32)
    if not np.isfinite(Z).all():
        bad = int((~np.isfinite(Z)).any(axis=1).sum())
        raise InvalidInputError(f"the encoder {method!r} returned NaN or infinite values in {bad} row(s) "
                                "(or values too large for float32).")
    return np.ascontiguousarray(Z)


def _seed(random_state) -> int:
    """A non-negative int seed from None (fresh entropy), an int, or a NumPy Generator."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> 1)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**63 - 1))
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool) \
            and random_state >= 0:
        return int(random_state)
    raise InvalidInputError(
        f"random_state must be None, a non-negative int or a numpy Generator; got {random_state!r}."
    )
