"""After each retrain: how accurate the model is now (without a test set), whether to stop
labeling, and how many more labels a target accuracy needs — what the progress page shows.

`ServiceInsights` is kept by the retrain worker between retrains (like `modeling.ServiceLoop`):

- the **estimate** is `activelab.estimate.estimate_accuracy` — the model's confidence over the
  unlabeled pool, corrected by the k-fold held-out hits of the labels that were picked at random
  (those labeled before the first model ranked the queue, or all under the `random` strategy),
  with a 90 % interval and a `reliable` flag (see that module for its assumptions);
- the **stopping rules** are `activelab.stopping.StoppingMonitor`'s: stabilizing predictions on a
  fixed stop set, overall uncertainty, max-confidence and the forecast's expected gain. In the
  service the stop set is a fixed random sample of the pool (seeded by the project), not a set
  withheld from the annotators: some of its items get labeled over time, which leaves the
  agreement between consecutive models as informative as before;
- the **forecast** fits the learning curve of the estimates (`forecast_learning_curve`) and says
  how many more labels reach the next accuracy targets.

The accuracy history is rebuilt from the stored runs when a worker (re)starts; the stop set's
predictions live in memory, so after a restart stabilizing predictions needs `window` + 1 new
retrains before it speaks again.
"""

from __future__ import annotations

import json
import math

import numpy as np

from .. import UNLABELED
from .._errors import ActiveLabError

STOP_SET_SIZE = 1000
POOL_SAMPLE = 5000  # the estimate and the uncertainty rules look at at most this many unlabeled rows
TARGET_STEP = 0.05  # forecast targets: the next multiples of 5 % above the estimate, below the plateau
MAX_TARGETS = 3


class ServiceInsights:
    """Estimate, stopping verdicts and forecast for one project, across retrains."""

    def __init__(self, n_items: int, n_classes: int, seed: int = 0) -> None:
        from ..stopping import StoppingMonitor

        self.n_classes = int(n_classes)
        self.rng = np.random.default_rng(seed)
        size = min(STOP_SET_SIZE, int(n_items))
        self.stop_idx = np.sort(self.rng.choice(int(n_items), size=size, replace=False))
        self.monitor = StoppingMonitor()
        self.seeded = False  # whether the stored accuracy history has been replayed

    def seed_history(self, previous: list[dict]) -> None:
        """Replay stored estimates (oldest first) into the monitor's accuracy history, once."""
        if self.seeded:
            return
        self.seeded = True
        for doc in previous:
            est = (doc or {}).get("estimate") or {}
            n = est.get("n_labels")
            if n is None or est.get("accuracy") is None:
                continue
            if self.monitor.labels_ and n <= self.monitor.labels_[-1]:
                continue
            self.monitor.labels_.append(int(n))
            self.monitor.accuracy_.append(float(est["accuracy"]))
            self.monitor.sigma_.append(max((est["high"] - est["low"]) / (2 * 1.645), 1e-3))

    def after_retrain(self, loop, y_codes: np.ndarray, seed: int,
                      random_rows: np.ndarray | None = None) -> dict:
        """The insights for the model `loop` just fitted on `y_codes` (a dict; `dumps` makes
        it JSON-safe).
        `random_rows` marks the labeled items that were picked at random (the cold-start queue,
        a random strategy): the estimate's bias correction rests on them."""
        from ..estimate import estimate_accuracy

        labeled = y_codes != UNLABELED
        n_labels = int(labeled.sum())
        fitted = getattr(loop, "fitted", None) if loop is not None else None
        if fitted is None or np.unique(y_codes[labeled]).shape[0] < 2:
            return {"estimate": None, "stopping": {}, "forecast": None,
                    "note": "no model yet: the estimate and the stopping rules start once two "
                            "classes have labels."}
        X = loop.X
        unlabeled = np.flatnonzero(~labeled)
        if unlabeled.shape[0] > POOL_SAMPLE:
            unlabeled = np.sort(self.rng.choice(unlabeled, size=POOL_SAMPLE, replace=False))
        out: dict = {"estimate": None, "stopping": {}, "forecast": None}
        if unlabeled.shape[0] == 0:
            out["note"] = "every item is labeled."
            return out
        lab = np.flatnonzero(labeled)
        try:
            est = estimate_accuracy(X[lab], y_codes[lab], X[unlabeled], model=loop.factory,
                                    random=None if random_rows is None else random_rows[lab],
                                    fitted=fitted, classes=np.arange(self.n_classes),
                                    random_state=seed)
        except ActiveLabError as exc:  # e.g. too few labels per class for k folds
            out["note"] = f"no accuracy estimate yet: {exc}"
            est = None
        pool_proba = np.asarray(fitted.predict_proba(X[unlabeled]), dtype=float)
        stop_pred = np.asarray(fitted.predict_proba(X[self.stop_idx]), dtype=float).argmax(axis=1)
        growing = not self.monitor.labels_ or n_labels > self.monitor.labels_[-1]
        use_est = est is not None and growing and math.isfinite(est.accuracy)
        decisions = self.monitor.update(
            n_labels, stop_predictions=stop_pred, pool_proba=pool_proba,
            accuracy=est.accuracy if use_est else None,
            accuracy_ci=(est.low, est.high) if use_est else None)
        if est is not None:
            out["estimate"] = est.to_dict()
        out["stopping"] = {
            rule: {"stop": bool(d.stop), "reason": d.reason,
                   "fired_at": self.monitor.fired_.get(rule)}
            for rule, d in decisions.items()
        }
        out["forecast"] = self._forecast(est)
        return out

    def _forecast(self, est) -> dict | None:
        from ..stopping import forecast_learning_curve

        m = self.monitor
        if len(m.labels_) < 3:
            return {"targets": [], "reason": f"the forecast needs 3 retrains with an estimate; "
                                             f"{len(m.labels_)} so far."}
        fc = forecast_learning_curve(m.labels_, m.accuracy_, sigma=m.sigma_)
        low, high = fc.plateau_band()
        now = max(est.accuracy if est is not None else m.accuracy_[-1],
                  float(fc.predict(m.labels_[-1])))  # targets the curve has not reached yet
        targets = []
        t = (math.floor(now / TARGET_STEP) + 1) * TARGET_STEP
        while t < 1.0 and len(targets) < MAX_TARGETS and t <= high + 1e-9:
            targets.append({"target": round(t, 4), **fc.labels_to_reach(round(t, 4))})
            t += TARGET_STEP
        return {"method": fc.method, "plateau": fc.plateau, "plateau_low": low,
                "plateau_high": high, "targets": targets,
                "reason": fc.reason or ("no target above the estimate lies within the "
                                        "plateau's band" if not targets else "")}


def _clean(obj):
    """JSON-safe: NaN/inf → None, numpy scalars → Python."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def dumps(doc: dict | None) -> str | None:
    return None if doc is None else json.dumps(_clean(doc))


def loads(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
