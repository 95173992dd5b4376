"""One retrain, on the loop the simulator uses: `ServiceLoop` keeps an `activelab.ActiveLoop`
across retrains (while the strategy and model settings stay the same), so adaptive strategies
learn from every batch the annotators label; `cv_accuracy` measures the model on the labels
gathered so far.

Features are standardized with the pool's statistics before any model sees them, exactly as the
experiment runner does (`activelab.models.scale_pool`). Labels are integer codes (positions in
the project's label list) with `activelab.UNLABELED` for unlabeled rows.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .. import UNLABELED, propose
from .._errors import ColdStartError, InvalidInputError
from .._validation import take_rows
from ..loop import ActiveLoop
from ..models import SklearnModel, make_model, model_names, scale_pool

log = logging.getLogger(__name__)

MAX_CV_FOLDS = 5

__all__ = ["MAX_CV_FOLDS", "Ranking", "ServiceLoop", "cv_accuracy", "make_estimator", "model_names",
           "rank_pool"]


@dataclass(frozen=True)
class Ranking:
    """Unlabeled pool positions, best first, with their scores (None for random order)."""

    idx: np.ndarray
    scores: np.ndarray | None
    strategy: str
    proba: np.ndarray | None = None  # the model's class probabilities of the queued rows
    family: str = ""  # of the strategy (or of the arm an adaptive one used): why items were chosen


class ServiceLoop:
    """The project's active-learning loop, kept between retrains.

    A new `ActiveLoop` starts when the strategy or model setting changes (an adaptive strategy
    then starts learning afresh); otherwise each retrain hands it the current labels, and the
    loop refits and tells the strategy how its previous queue went before ranking anew.
    """

    def __init__(self, X, n_classes: int, random_state: int = 0, backend: str | None = None,
                 ray_address: str | None = None) -> None:
        self.X_raw = X
        self.n_classes = int(n_classes)
        self.random_state = random_state
        self.backend, self.ray_address = backend, ray_address
        self.loop: ActiveLoop | None = None
        self._key: tuple[str, str] | None = None
        self._X: object | None = None
        self._lock = threading.Lock()

    def set_classes(self, n_classes: int) -> None:
        """A grown label set: the next retrain starts a new loop with `n_classes` classes."""
        if int(n_classes) != self.n_classes:
            self.n_classes = int(n_classes)
            self.loop, self._key = None, None

    @property
    def X(self):
        """The model's features: the pool standardized with its own statistics (sparse TF-IDF
        kept as is), computed once."""
        with self._lock:
            if self._X is None:
                self._X = scale_pool(self.X_raw)[0]
            return self._X

    def loop_for(self, y_codes: np.ndarray, strategy: str, model: str) -> ActiveLoop:
        """The loop for these settings, holding labels `y_codes`."""
        if self.loop is None or self._key != (strategy, model):
            factory = SklearnModel(make_estimator(model, sp.issparse(self.X)))
            self.loop = ActiveLoop(self.X, y_codes, strategy=strategy, model=factory,
                                   classes=np.arange(self.n_classes),
                                   random_state=self.random_state,
                                   **self._backend_for(strategy))
            self._key = (strategy, model)
        else:
            self.loop.set_labels(y_codes)
        return self.loop


    def _backend_for(self, strategy: str) -> dict:
        """The backend settings for a loop running `strategy`: those of `serve --backend`, or
        in memory (with a warning in the log) when this strategy or these features cannot run
        there — the service keeps ranking rather than stop."""
        if self.backend is None:
            return {}
        from ..distributed import support_for
        from ..strategies import make_strategy

        why = None
        if sp.issparse(self.X) or not isinstance(self.X, np.ndarray):
            why = "the features are sparse (TF-IDF)"
        else:
            try:
                support_for(make_strategy(strategy))
            except InvalidInputError as exc:
                why = str(exc)
        if why:
            log.warning("ranking in memory, not on backend %r: %s", self.backend, why)
            return {}
        return {"backend": self.backend, "ray_address": self.ray_address}


def make_estimator(name: str, sparse: bool):
    """A fresh classifier for a model name (see `activelab models`); on sparse features (TF-IDF)
    scalers inside an importable model stop centering, which sparse matrices cannot do."""
    model = make_model(name)
    if sparse:
        params = model.get_params(deep=True)
        centering = {k: False for k in params if k.split("__")[-1] == "with_mean"}
        if centering:
            model.set_params(**centering)
    return model


def rank_pool(service_loop: ServiceLoop, y_codes: np.ndarray, strategy: str, model: str,
              queue_size: int, seed: int) -> Ranking:
    """The next `queue_size` items to label, ranked by `strategy` through the project's loop.

    Before two classes have labels no model can be trained, so the queue is a random sample
    (`strategy` reads "random (cold start)"); `seed` seeds that sample."""
    labeled = y_codes != UNLABELED
    k = min(int(queue_size), int((~labeled).sum()))
    if k == 0:
        return Ranking(np.empty(0, dtype=np.intp), None, strategy)
    if np.unique(y_codes[labeled]).shape[0] >= 2:
        loop = service_loop.loop_for(y_codes, strategy, model)
        try:
            sel = loop.propose(k)
        except ColdStartError:
            pass  # e.g. too few labels per class for this strategy: explore meanwhile
        else:
            scores = sel.chosen_scores()
            idx = np.asarray(sel.idx, dtype=np.intp)
            proba = None
            if loop.fitted is not None:
                proba = np.asarray(loop.fitted.predict_proba(take_rows(loop.X, idx)), dtype=float)
            return Ranking(idx, None if scores is None else np.asarray(scores, dtype=np.float64),
                           strategy, proba, _family(loop.strategy, sel.info))
    sel = propose(service_loop.X, y_codes, strategy="random", batch_size=k, random_state=seed)
    return Ranking(np.asarray(sel.idx, dtype=np.intp), None, "random (cold start)")


def _family(strategy, info: dict) -> str:
    """The family (uncertainty, diversity, hybrid, …) behind this round's picks: an adaptive
    strategy's arm of most picks when it says (`info["arm"]`), else the strategy's own."""
    from .._errors import UnknownNameError
    from ..strategies import strategy_class

    arm = info.get("arm") if isinstance(info, dict) else None
    if isinstance(arm, str):
        try:
            return strategy_class(arm).family
        except UnknownNameError:  # an arm that is not a registered name
            pass
    return getattr(type(strategy), "family", "")


def cv_accuracy(X, y_codes: np.ndarray, model: str, seed: int) -> tuple[float | None, int | None]:
    """Stratified k-fold accuracy of `model` on the labeled rows of the (scaled) features X
    (k ≤ 5, limited by the rarest class); (None, None) while there are too few labels."""
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
    scores = cross_val_score(make_estimator(model, sp.issparse(X)), X[lab], y_lab, cv=cv,
                             error_score="raise")
    return float(np.mean(scores)), folds
