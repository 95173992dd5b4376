"""Representations of a pool: sentence embeddings for text, a self-supervised encoder for
images, or your own encoder — `activelab.embed` (this package's `embed`).

    >>> X_text = activelab.embed(texts, method="sentence")            # (n, 384), offline
    >>> X_img = activelab.embed(images, method="ssl", random_state=0)  # SimCLR on the pool itself

- `api` — `embed`, the entry point
- `text` — all-MiniLM-L6-v2 through sentence-transformers (extra ``embed``; imported when used)
- `simclr`, `augment` — the SimCLR encoder and its views (extra ``torch``; imported when used)
- `images`, `sources` — images and texts from arrays, folders and files (NumPy, Pillow, pandas)

Importing this package imports neither torch nor sentence-transformers.
"""

from .api import METHODS, embed
from .images import as_images, list_image_files, load_image_files
from .sources import read_data, save_npy
from .text import check_texts

__all__ = ["METHODS", "as_images", "check_texts", "embed", "list_image_files",
           "load_image_files", "read_data", "save_npy"]
