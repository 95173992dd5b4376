"""The retrain worker's round for a multilabel project, on `activelab.multilabel`'s loop (the one
its simulator and runner use): the label matrix Y (n_items, n_labels) holds 0/1 rows for the
resolved items and `activelab.UNLABELED` rows for the rest; `MultilabelServiceLoop` keeps a
`MultilabelLoop` between retrains (while the strategy and model settings stay the same), so
adaptive strategies learn from each batch; `rank_multilabel_pool` ranks the queue with the
project's multi-label strategy.

Features are standardized with the pool's statistics first, as for classification
(`activelab.models.scale_pool`). Until some label takes both values among the labeled items no
model can learn anything: the queue is then a random sample ("random (cold start)").
"""

from __future__ import annotations

import threading

import numpy as np

from .. import UNLABELED
from .._errors import ColdStartError
from .._validation import take_rows
from ..models import scale_pool
from .modeling import Ranking
from .multilabel import decode

__all__ = ["MultilabelServiceLoop", "label_matrix", "rank_multilabel_pool"]


class MultilabelServiceLoop:
    """The project's multi-label active-learning loop, kept between retrains (a new
    `activelab.multilabel.MultilabelLoop` when the strategy or model setting changes)."""

    def __init__(self, X, n_labels: int, random_state: int = 0) -> None:
        self.X_raw = X
        self.n_labels = int(n_labels)
        self.random_state = random_state
        self.loop = None
        self._key: tuple[str, str] | None = None
        self._X = None
        self._lock = threading.Lock()

    @property
    def X(self):
        """The model's features: the pool standardized with its own statistics, once."""
        with self._lock:
            if self._X is None:
                self._X = scale_pool(self.X_raw)[0]
            return self._X

    def loop_for(self, Y: np.ndarray, strategy: str, model: str):
        """The loop for these settings, holding the label matrix `Y`."""
        from ..multilabel import MultilabelLoop

        if self.loop is None or self._key != (strategy, model):
            self.loop = MultilabelLoop(self.X, Y, strategy=strategy, model=model,
                                       random_state=self.random_state)
            self._key = (strategy, model)
        else:
            self.loop.set_labels(Y)
        return self.loop


def label_matrix(labeled: dict, labels: list[str], n_items: int) -> np.ndarray:
    """Y (n_items, len(labels)): for each resolved item (item_idx → the event of its current
    answer) a 0/1 row of its set, `UNLABELED` rows elsewhere."""
    code = {name: j for j, name in enumerate(labels)}
    Y = np.full((n_items, len(labels)), UNLABELED, dtype=np.int64)
    for idx, ev in labeled.items():
        answer = decode(ev.labels)
        if answer is None:  # not a set (cannot happen on a multilabel project's log)
            continue
        Y[idx] = 0
        Y[idx, [code[lab] for lab in answer if lab in code]] = 1
    return Y


def rank_multilabel_pool(service_loop: MultilabelServiceLoop, Y: np.ndarray, strategy: str,
                         model: str, queue_size: int, seed: int) -> Ranking:
    """The next `queue_size` items to label, ranked by the multi-label `strategy`; `proba`
    holds the model's probability of each label for them (None without a model)."""
    unlabeled = np.flatnonzero((Y == UNLABELED).all(axis=1))
    k = min(int(queue_size), unlabeled.shape[0])
    if k == 0:
        return Ranking(np.empty(0, dtype=np.intp), None, strategy)
    try:
        loop = service_loop.loop_for(Y, strategy, model)
        sel = loop.propose(k)
    except ColdStartError:
        pass  # no label takes both values yet: explore meanwhile
    else:
        idx = np.asarray(sel.idx, dtype=np.intp)
        scores = sel.chosen_scores()
        proba = None
        if loop.fitted is not None:
            proba = np.asarray(loop.fitted.predict_proba(take_rows(loop.X, idx)), dtype=float)
        return Ranking(idx, None if scores is None else np.asarray(scores, dtype=np.float64),
                       strategy, proba, getattr(type(loop.strategy), "family", ""))
    rng = np.random.default_rng(seed)
    idx = rng.choice(unlabeled, size=k, replace=False).astype(np.intp)
    return Ranking(idx, None, "random (cold start)")
