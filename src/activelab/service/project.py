"""A labeling project on disk: its settings (`project.json`), its item manifest (`items.jsonl`)
and its feature matrix, all in one folder.

    PROJECT/
    ├── project.json     labels, data folder, strategy, model, lease and retrain settings
    ├── items.jsonl      one line per item: pool position, stable item id, what to show
    ├── features.npy     (n_items, n_features) float32 — or features.npz (sparse, TF-IDF)
    ├── terms.json       TF-IDF features only: the term of each feature column
    └── activelab.db     the SQLite database (default; `--db postgresql://…` puts it elsewhere)

The folder is the source of truth for *what* is labeled; the database holds *who labeled what
and when*. Row `idx` of the features is pool position `idx` (activelab's one index space);
`item_id` is the stable external id.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .._errors import InvalidInputError

CONFIG_FILE = "project.json"
ITEMS_FILE = "items.jsonl"
TERMS_FILE = "terms.json"
DEFAULT_DB_FILE = "activelab.db"
TASKS = ("classification", "multilabel", "regression", "stream")
"""classification: one label per item; multilabel: a set of labels per item (possibly empty);
regression: a number per item (no label set); stream: items arrive one at a time through the API
and a stream selector decides at once whether to ask for the label (`stream_service`)."""
SET_SEPARATOR = ";"  # joins a multi-label answer in CSV exports, so no such label holds one
MAX_LABELS = 50
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
"""What no id or label may hold (the API refuses them too, `schemas.Name`)."""


class ProjectError(InvalidInputError):
    """A project folder that is missing, incomplete, or asked to change what cannot change."""


@dataclass
class ProjectConfig:
    """What `activelab init` records. Settings an admin may change at run time live in the
    database (`/api/settings`) and start from these values."""

    name: str
    data: str
    data_kind: str
    labels: list[str]
    task: str = "classification"
    strategy: str = "auto"
    model: str = "logreg"
    features: str = "auto"
    lease_seconds: int = 600
    retrain_every: int = 10
    queue_size: int = 100
    value_range: list[float] | None = None  # regression: [min, max] every answer must fall in
    unit: str = ""  # regression: shown beside the number, e.g. "kg"
    budget: float | None = None  # stream: the labeling rate in (0, 1]
    dim: int | None = None  # stream: how many features each arriving item has
    seed: int = 0  # stream: seeds the learner, so a restart rebuilds it exactly
    version: int = 1
    extra: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, raw: dict) -> "ProjectConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})


def parse_labels(text: str, task: str = "classification") -> list[str]:
    """`"benign, malignant"` → `["benign", "malignant"]`, checked: 2–50 distinct, non-empty (and,
    for a multilabel project, without `SET_SEPARATOR`)."""
    labels = [part.strip() for part in str(text).split(",")]
    labels = [lab for lab in labels if lab]
    if len(labels) < 2:
        raise ProjectError(
            f"--labels needs at least two comma-separated labels (e.g. \"cat,dog\"); got {text!r}."
        )
    if len(labels) > MAX_LABELS:
        raise ProjectError(f"--labels allows at most {MAX_LABELS} labels; got {len(labels)}.")
    dupes = sorted({lab for lab in labels if labels.count(lab) > 1})
    if dupes:
        raise ProjectError(f"--labels repeats {dupes}; each label must appear once.")
    odd = [lab for lab in labels if CONTROL_CHARACTERS.search(lab)]
    if odd:
        raise ProjectError(f"--labels holds {odd[0]!r} with a control character; labels must be "
                           "printable text.")
    too_long = [lab for lab in labels if len(lab) > 100]
    if too_long:
        raise ProjectError(f"labels must be at most 100 characters; {too_long[0][:30]!r}… is longer.")
    joined = [lab for lab in labels if SET_SEPARATOR in lab]
    if task == "multilabel" and joined:
        raise ProjectError(f"--labels holds {joined[0]!r}: a multilabel project's labels cannot "
                           f"contain {SET_SEPARATOR!r}, which joins an item's labels in CSV "
                           "exports.")
    return labels


@dataclass
class Project:
    """An opened project folder."""

    root: Path
    config: ProjectConfig

    @classmethod
    def open(cls, root) -> "Project":
        root = Path(root).expanduser().resolve()
        cfg_path = root / CONFIG_FILE
        if not cfg_path.is_file():
            raise ProjectError(
                f"{root} is not an activelab project (no {CONFIG_FILE}); create it with "
                f"`activelab init {root} --data PATH --labels A,B`."
            )
        try:
            raw = json.loads(cfg_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ProjectError(f"cannot read {cfg_path}: {exc}") from None
        return cls(root, ProjectConfig.from_dict(raw))

    @property
    def data_root(self) -> Path:
        return Path(self.config.data)

    @property
    def default_db_url(self) -> str:
        return f"sqlite:///{self.root / DEFAULT_DB_FILE}"

    def save_config(self) -> None:
        write_atomic(self.root / CONFIG_FILE, self.config.to_json().encode("utf-8"))

    def read_items(self) -> list[dict]:
        """The item manifest, in pool order (line i is pool position i)."""
        path = self.root / ITEMS_FILE
        if not path.is_file():
            raise ProjectError(f"{path} is missing; run `activelab init` again to re-import.")
        with path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    def write_items(self, items: list[dict]) -> None:
        body = "".join(json.dumps(it, ensure_ascii=False) + "\n" for it in items)
        write_atomic(self.root / ITEMS_FILE, body.encode("utf-8"))

    def load_features(self):
        """The feature matrix: dense float32 ndarray or CSR matrix, one row per item."""
        dense, sparse = self.root / "features.npy", self.root / "features.npz"
        if dense.is_file():
            return np.load(dense, allow_pickle=False)
        if sparse.is_file():
            return sp.load_npz(sparse).tocsr()
        raise ProjectError(f"{self.root} has no features file; run `activelab init` again.")

    def feature_rows(self) -> int:
        """How many rows the feature file holds, without loading it (a dense file's header)."""
        dense, sparse = self.root / "features.npy", self.root / "features.npz"
        try:
            if dense.is_file():
                return int(np.load(dense, mmap_mode="r", allow_pickle=False).shape[0])
            if sparse.is_file():
                with np.load(sparse, allow_pickle=False) as npz:
                    return int(npz["shape"][0])
        except (OSError, ValueError, KeyError) as exc:
            raise ProjectError(f"{self.root}: the features file cannot be read ({exc}); run "
                               "`activelab init` again to re-import.") from None
        raise ProjectError(f"{self.root} has no features file; run `activelab init` again.")

    def save_features(self, X) -> None:
        dense, sparse = self.root / "features.npy", self.root / "features.npz"
        tmp = self.root / ".features.tmp"
        if sp.issparse(X):
            with open(tmp, "wb") as fh:
                sp.save_npz(fh, sp.csr_matrix(X, dtype=np.float32))
            os.replace(tmp, sparse)
            dense.unlink(missing_ok=True)
        else:
            with open(tmp, "wb") as fh:
                np.save(fh, np.ascontiguousarray(X, dtype=np.float32))
            os.replace(tmp, dense)
            sparse.unlink(missing_ok=True)

    def save_terms(self, terms: list[str] | None) -> None:
        """Record the term of each TF-IDF feature column (None: the features are not TF-IDF)."""
        path = self.root / TERMS_FILE
        if terms is None:
            path.unlink(missing_ok=True)
        else:
            write_atomic(path, json.dumps(list(terms), ensure_ascii=False).encode("utf-8"))

    def load_terms(self) -> list[str] | None:
        """The terms of the TF-IDF feature columns, or None (other features, or a project
        imported before they were recorded: `activelab init` again records them)."""
        try:
            terms = json.loads((self.root / TERMS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return [str(t) for t in terms] if isinstance(terms, list) else None


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
