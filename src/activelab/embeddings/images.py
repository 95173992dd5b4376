"""Images as one float32 array (n, channels, size, size) in [0, 1]: from arrays in the usual
layouts, or from PNG/JPEG files (a folder, or a list of paths). NumPy and Pillow only."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .._errors import InvalidInputError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
MIN_SIZE = 8
MAX_SIZE = 64
DEFAULT_FILE_SIZE = 32

SHAPES_HELP = ("images as (n, H, W), (n, C, H, W) or (n, H, W, C) with C = 1 or 3 and H = W, or "
               "flattened grayscale squares (n, s*s)")


def as_images(data) -> np.ndarray:
    """`data` as float32 images of shape (n, C, S, S), C in {1, 3}, values scaled to [0, 1].

    Parameters
    ----------
    data : array-like of shape (n, H, W), (n, C, H, W), (n, H, W, C) or (n, s*s)
        Square images (S >= 8), grayscale or RGB. Integer arrays are read as 0–255; float
        arrays whose values exceed 1 are divided by 255, others kept.
    """
    X = np.asarray(data)
    if X.dtype.kind not in "fiub":
        raise InvalidInputError(f"images must be numeric; got dtype {X.dtype}. Expected {SHAPES_HELP}.")
    if X.ndim == 2:
        s = math.isqrt(X.shape[1]) if X.shape[1] else 0
        if s * s != X.shape[1]:
            raise InvalidInputError(
                f"images of shape {X.shape}: {X.shape[1]} features is not a square side s*s. "
                f"Expected {SHAPES_HELP}; reshape RGB rows to (n, 3, s, s)."
            )
        X = X.reshape(len(X), 1, s, s)
    elif X.ndim == 3:
        X = X[:, None]
    elif X.ndim == 4:
        if X.shape[1] not in (1, 3) and X.shape[3] in (1, 3):
            X = X.transpose(0, 3, 1, 2)
        elif X.shape[1] not in (1, 3):
            raise InvalidInputError(f"images of shape {X.shape} have neither 1 nor 3 channels. Expected {SHAPES_HELP}.")
    else:
        raise InvalidInputError(f"images of shape {X.shape}: expected {SHAPES_HELP}.")
    n, _, h, w = X.shape
    if h != w:
        raise InvalidInputError(f"images must be square; got {h}×{w}. Crop or pad them to S×S first.")
    if n < 2:
        raise InvalidInputError(f"need at least 2 images; got {n}.")
    if h < MIN_SIZE:
        raise InvalidInputError(f"images must be at least {MIN_SIZE}×{MIN_SIZE}; got {h}×{w}.")
    if X.dtype.kind == "f" and not np.isfinite(X).all():
        raise InvalidInputError("images hold NaN or infinite values; fill or drop those images.")
    scale = 255.0 if X.dtype.kind in "iu" or (X.dtype.kind == "f" and X.max() > 1.0) else 1.0
    out = np.ascontiguousarray(X, dtype=np.float32)
    if scale != 1.0:
        out = out / np.float32(scale)
    return out


def list_image_files(folder) -> list[Path]:
    """The PNG/JPEG files under `folder` (recursively), sorted by relative path; hidden entries
    skipped. Any other file is an error naming it (its row would otherwise silently vanish)."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise InvalidInputError(f"{root} is not a folder.")
    files: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if not name.lower().endswith(IMAGE_SUFFIXES):
                raise InvalidInputError(
                    f"{rel!r} in {root} is not a PNG/JPEG image; the folder must hold only images "
                    f"({', '.join(IMAGE_SUFFIXES)}). Move it out (or hide it with a leading dot)."
                )
            files.append((rel, path))
    if not files:
        raise InvalidInputError(f"{root} holds no images ({', '.join(IMAGE_SUFFIXES)}).")
    return [p for _, p in sorted(files)]


def load_image_files(paths: Sequence, image_size: int = DEFAULT_FILE_SIZE,
                     color: str = "auto") -> np.ndarray:
    """Read image files into (n, C, S, S) float32 in [0, 1], each resized to S×S (bilinear).

    `color`: "gray", "rgb", or "auto" (grayscale when every image is, else RGB).
    """
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:  # pragma: no cover - Pillow comes with the serve extra
        raise InvalidInputError("reading image files needs Pillow: pip install pillow") from None
    if color not in ("auto", "gray", "rgb"):
        raise InvalidInputError(f"color must be 'auto', 'gray' or 'rgb'; got {color!r}.")
    size = check_image_size(image_size)
    images, gray = [], []
    for path in paths:
        try:
            with Image.open(path) as img:
                img.load()
                gray.append(img.mode in ("1", "L", "LA", "I", "I;16", "F"))
                images.append(img.convert("RGB").resize((size, size), Image.Resampling.BILINEAR))
        except (OSError, UnidentifiedImageError, ValueError) as exc:
            raise InvalidInputError(f"cannot read image {str(path)!r}: {exc}") from None
    if len(images) < 2:
        raise InvalidInputError(f"need at least 2 images; got {len(images)}.")
    X = np.stack([np.asarray(im, dtype=np.uint8) for im in images]).transpose(0, 3, 1, 2)
    X = X.astype(np.float32) / np.float32(255.0)
    if color == "gray" or (color == "auto" and all(gray)):
        X = X.mean(axis=1, keepdims=True, dtype=np.float32)
    return np.ascontiguousarray(X)


def check_image_size(image_size) -> int:
    """`image_size` as an int in [MIN_SIZE, MAX_SIZE], or a clear error."""
    if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)) \
            or not MIN_SIZE <= image_size <= MAX_SIZE:
        raise InvalidInputError(
            f"image_size must be an integer between {MIN_SIZE} and {MAX_SIZE}; got {image_size!r}."
        )
    return int(image_size)
