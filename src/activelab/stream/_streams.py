"""Real labeled streams that install offline: tables River 0.26.1 ships in its wheel, read
from its files directly (no network, no `import river`), replayed in a stated order.

Order, per stream (``seed`` is `load_stream`'s):
- ``phishing``, ``segment``, ``shuttle``, ``banana``: stationary. ``seed=None`` keeps the file
  order; an integer seed replays a uniformly random permutation drawn from it (i.i.d. order).
- ``segment_phased``: classes phased in (novel classes and prior drift). Each row gets an
  arrival time uniform on [k/12, 1] for the k-th class (k = 0..6, classes sorted by name) and
  the stream is the rows in time order: classes enter one after another, the last one half-way
  through the time axis (after about 30 % of the items); ``seed`` draws the times (None = 0).
- ``shuttle_time``: Statlog Shuttle sorted by its first attribute, time (stable sort; ties in
  file order; ``seed`` ignored): the stream's natural time order.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._errors import InvalidInputError, UnknownNameError


@dataclass(frozen=True)
class StreamInfo:
    """What a named stream is: size, classes, where it comes from, its order."""

    name: str
    n_items: int
    n_features: int
    n_classes: int
    source: str
    order: str


_STATIONARY = "file order for seed=None, else a random permutation drawn from the seed"

STREAMS: dict[str, StreamInfo] = {s.name: s for s in (
    StreamInfo("phishing", 1250, 9, 2,
               "Website Phishing (UCI), River's phishing.csv.gz; real", _STATIONARY),
    StreamInfo("segment", 2310, 18, 7,
               "Image Segmentation (UCI Statlog), River's segment.csv.zip; real", _STATIONARY),
    StreamInfo("segment_phased", 2310, 18, 7,
               "Image Segmentation (UCI Statlog), River's segment.csv.zip; real",
               "classes phased in: arrival times uniform on [k/12, 1] for the k-th class (by "
               "name), rows in time order; seed draws the times (None = 0)"),
    StreamInfo("shuttle", 49097, 9, 2,
               "Statlog Shuttle as River's anomaly set (ODDS), shuttle.csv.gz; real",
               _STATIONARY),
    StreamInfo("shuttle_time", 49097, 9, 2,
               "Statlog Shuttle as River's anomaly set (ODDS), shuttle.csv.gz; real",
               "sorted by the first attribute (time), stable; seed ignored"),
    StreamInfo("banana", 5300, 2, 2,
               "Banana (OpenML 1460), River's banana.zip; artificial 2-D clusters",
               _STATIONARY),
)}


def stream_names() -> list[str]:
    """Registered stream names, sorted."""
    return sorted(STREAMS)


def describe_streams() -> list[StreamInfo]:
    """Every registered stream with its size, source and order."""
    return [STREAMS[n] for n in stream_names()]


def _river_file(filename: str) -> Path:
    spec = importlib.util.find_spec("river")
    if spec is None or not spec.submodule_search_locations:
        raise InvalidInputError(
            "the built-in streams are River's bundled tables: pip install 'activelab[tasks]' "
            "(river==0.26.1), or pass your own X, y to run_stream.")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / filename
    if not path.is_file():
        raise InvalidInputError(f"River's {filename} is missing at {path}; reinstall river==0.26.1.")
    return path


def _read_csv(text: str) -> tuple[np.ndarray, np.ndarray]:
    rows = list(csv.reader(io.StringIO(text)))[1:]
    X = np.array([[float(v) for v in r[:-1]] for r in rows])
    return X, np.array([r[-1] for r in rows])


def _phishing() -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(_river_file("phishing.csv.gz"), "rt") as f:
        X, y = _read_csv(f.read())
    return X, y.astype(np.int64)


def _segment() -> tuple[np.ndarray, np.ndarray]:
    with zipfile.ZipFile(_river_file("segment.csv.zip")) as z:
        X, y = _read_csv(z.read(z.namelist()[0]).decode())
    # region-pixel-count is constant in the UCI table; River's file drops it: 18 features
    return X, y.astype(str)


def _shuttle() -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(_river_file("shuttle.csv.gz"), "rt") as f:
        X, y = _read_csv(f.read())
    return X, y.astype(np.int64)


def _banana() -> tuple[np.ndarray, np.ndarray]:
    with zipfile.ZipFile(_river_file("banana.zip")) as z:
        lines = z.read("banana.all.txt").decode().split("\n")
    rows = [ln.split() for ln in lines if ln.strip()]
    X = np.array([[float(t.split(":")[1]) for t in r[1:]] for r in rows])
    return X, np.array([int(r[0]) for r in rows], dtype=np.int64)


def _permuted(X, y, seed):
    if seed is None:
        return X, y
    perm = np.random.default_rng(int(seed)).permutation(X.shape[0])
    return X[perm], y[perm]


def _phased(X, y, seed):
    classes = np.unique(y)
    start = {c: k / 12 for k, c in enumerate(classes.tolist())}
    rng = np.random.default_rng(0 if seed is None else int(seed))
    s = np.array([start[c] for c in y.tolist()])
    key = s + rng.random(y.shape[0]) * (1.0 - s)
    order = np.argsort(key, kind="stable")
    return X[order], y[order]


def _by_time(X, y, seed):
    order = np.argsort(X[:, 0], kind="stable")
    return X[order], y[order]


_LOADERS = {
    "phishing": (_phishing, _permuted),
    "segment": (_segment, _permuted),
    "segment_phased": (_segment, _phased),
    "shuttle": (_shuttle, _permuted),
    "shuttle_time": (_shuttle, _by_time),
    "banana": (_banana, _permuted),
}


def load_stream(name: str, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) of stream `name` in its stated order (see the module docstring).

    X is float64 of shape (n_items, n_features); y holds the labels (int, or str for segment).
    """
    if name not in _LOADERS:
        raise UnknownNameError("stream", str(name), _LOADERS)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise InvalidInputError(f"seed must be an integer or None; got {seed!r}.")
    read, order = _LOADERS[name]
    X, y = read()
    return order(X, y, seed)
