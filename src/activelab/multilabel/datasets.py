"""Real multi-label datasets that load offline, from files river ships in its wheel.

Each loader returns (X float64 (n, d), Y int64 0/1 (n, L), label_names). River is the optional
'tasks' extra; its files are read directly (river itself is never imported).
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._errors import InvalidInputError, UnknownNameError


@dataclass(frozen=True)
class MultilabelDatasetInfo:
    name: str
    n_samples: int
    n_features: int
    n_labels: int
    source: str
    licence: str
    note: str


INFO: dict[str, MultilabelDatasetInfo] = {
    "yeast": MultilabelDatasetInfo(
        "yeast", 2417, 103, 14,
        "MULAN Yeast (Elisseeff & Weston 2002, NeurIPS), as shipped by river 0.26.1 "
        "(river/datasets/yeast.csv.gz; equal to OpenML 40597)",
        "public research data (MULAN / OpenML: Public); river's packaging BSD-3-Clause",
        "gene expression + phylogenetic profiles; 14 functional classes, 4.24 labels per gene"),
    "solar_flare": MultilabelDatasetInfo(
        "solar_flare", 1066, 24, 3,
        "UCI Solar Flare (Bradshaw 1989), data2 as shipped by river 0.26.1 "
        "(river/datasets/solar-flare.csv.zip)",
        "CC BY 4.0 (UCI Machine Learning Repository)",
        "derived: the three flare counts of the next 24 h binarized as 'at least one C / M / X "
        "class flare'; 3 categorical attributes one-hot encoded, the constant one dropped"),
}


def multilabel_dataset_names() -> list[str]:
    """Names accepted by `load_multilabel_dataset`, sorted."""
    return sorted(INFO)


def load_multilabel_dataset(name: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(X, Y, label_names) of a bundled real multi-label dataset (no network)."""
    if name not in INFO:
        raise UnknownNameError("multi-label dataset", name, INFO)
    return {"yeast": _yeast, "solar_flare": _solar_flare}[name]()


def _river_file(filename: str) -> Path:
    spec = importlib.util.find_spec("river")
    if spec is None or not spec.submodule_search_locations:
        raise InvalidInputError(
            f"this dataset is read from river's bundled {filename}; install the 'tasks' extra "
            "(pip install 'activelab[tasks]') or river itself.")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / filename
    if not path.exists():
        raise InvalidInputError(f"river is installed but lacks datasets/{filename}; use river 0.26.1.")
    return path


def _yeast() -> tuple[np.ndarray, np.ndarray, list[str]]:
    with gzip.open(_river_file("yeast.csv.gz"), "rt") as fh:
        header = fh.readline().strip().split(",")
        data = np.loadtxt(fh, delimiter=",", dtype=np.float64)
    labels = [i for i, h in enumerate(header) if h.startswith("Class")]
    feats = [i for i, h in enumerate(header) if h.startswith("Att")]
    return (np.ascontiguousarray(data[:, feats]), data[:, labels].astype(np.int64),
            [header[i] for i in labels])


_SOLAR_CATEGORICAL = ("zurich-class", "largest-spot-size", "spot-distribution")
_SOLAR_TARGETS = ("c-class-flares", "m-class-flares", "x-class-flares")


def _solar_flare() -> tuple[np.ndarray, np.ndarray, list[str]]:
    with zipfile.ZipFile(_river_file("solar-flare.csv.zip")) as zf:
        text = zf.read(zf.namelist()[0]).decode()
    rows = [line.split(",") for line in io.StringIO(text).read().strip().splitlines()]
    header, body = rows[0], np.array(rows[1:], dtype=object)
    cols = []
    for j, h in enumerate(header):
        if h in _SOLAR_TARGETS:
            continue
        col = body[:, j]
        if h in _SOLAR_CATEGORICAL:
            cols.extend((col == v).astype(np.float64) for v in sorted(set(col)))
        else:
            values = col.astype(np.float64)
            if values.min() != values.max():
                cols.append(values)
    X = np.column_stack(cols)
    Y = np.column_stack([body[:, header.index(t)].astype(np.int64) > 0 for t in _SOLAR_TARGETS])
    return X, Y.astype(np.int64), ["C-flare", "M-flare", "X-flare"]
