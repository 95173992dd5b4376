"""One retrain, as pure functions of the pool: rank the unlabeled items with the project's
strategy (through `activelab.propose`, the same call the simulator uses) and measure the model's
cross-validated accuracy on the labels gathered so far.

Labels are integer codes (positions in the project's label list) with `activelab.UNLABELED`
for unlabeled rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .. import UNLABELED, propose
from .._errors import ColdStartError

MAX_CV_FOLDS = 5


@dataclass(frozen=True)
class Ranking:
    """Unlabeled pool positions, best first, with their scores (None for random order)."""

    idx: np.ndarray
    scores: np.ndarray | None
    strategy: str


def make_estimator(name: str, sparse: bool):
    """A fresh classifier for a model name (see `activelab models`); on sparse features (TF-IDF)
    scalers stop centering, which sparse matrices cannot do."""
    from ..models import make_model

    model = make_model(name)
    if sparse:
        params = model.get_params(deep=True)
        centering = {k: False for k in params if k.split("__")[-1] == "with_mean"}
        if centering:
            model.set_params(**centering)
    return model


def model_names() -> list[str]:
    from ..models import model_names as names

    return names()


def rank_pool(X, y_codes: np.ndarray, n_classes: int, strategy: str, model: str,
              queue_size: int, seed: int) -> Ranking:
    """The next `queue_size` items to label, ranked by `strategy`.

    Before two classes have labels no model can be trained, so the queue is a random sample
    (`strategy` reads "random (cold start)")."""
    labeled = y_codes != UNLABELED
    n_unlabeled = int((~labeled).sum())
    k = min(int(queue_size), n_unlabeled)
    if k == 0:
        return Ranking(np.empty(0, dtype=np.intp), None, strategy)
    if np.unique(y_codes[labeled]).shape[0] >= 2:
        try:
            sel = propose(
                X, y_codes, strategy=strategy, model=make_estimator(model, sp.issparse(X)),
                batch_size=k, random_state=seed, classes=np.arange(n_classes),
            )
            scores = sel.chosen_scores()
            return Ranking(np.asarray(sel.idx, dtype=np.intp),
                           None if scores is None else np.asarray(scores, dtype=np.float64),
                           strategy)
        except ColdStartError:
            pass  # e.g. too few labels per class for this strategy: explore meanwhile
    sel = propose(X, y_codes, strategy="random", batch_size=k, random_state=seed)
    return Ranking(np.asarray(sel.idx, dtype=np.intp), None, "random (cold start)")


def cv_accuracy(X, y_codes: np.ndarray, model: str, seed: int) -> tuple[float | None, int | None]:
    """Stratified k-fold accuracy of `model` on the labeled rows (k ≤ 5, limited by the rarest
    class); (None, None) while there are too few labels to cross-validate."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    lab = np.flatnonzero(y_codes != UNLABELED)
    if lab.shape[0] < 4:
        return None, None
    y_lab = y_codes[lab]
    _, counts = np.unique(y_lab, return_counts=True)
    if counts.shape[0] < 2:
        return None, None
    folds = int(min(MAX_CV_FOLDS, counts.min()))
    if folds < 2:
        return None, None
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    X_lab = X[lab]
    scores = cross_val_score(make_estimator(model, sp.issparse(X)), X_lab, y_lab, cv=cv,
                             error_score="raise")
    return float(np.mean(scores)), folds
