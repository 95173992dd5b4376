"""The retrain worker: after every K new labels it refits the model and re-ranks the queue through
the project's `ActiveLoop` (`modeling.ServiceLoop`), which it keeps between retrains so adaptive
strategies learn from what the annotators label.

`activelab serve` runs it in its own process (`worker_main`, supervised by `supervisor`), so a
fit never competes with the requests for the server's GIL; tests and embedders may run it in a
thread of their process (`RetrainWorker.start`). Either way labeling never waits for it: the fit
runs outside any database transaction, and the new queue is swapped in with one short write (the
old queue or the new one, never half of each). A failed refit is logged and recorded as a failed
run; the queue of the previous model stays in use. The trigger is read from the database (label
events newer than the last run, or an admin's retrain request newer than it), so a restarted
worker picks up where the last one left off.

A multilabel project's worker (`task="multilabel"`) trains the multi-label model on the label
matrix of the resolved items and ranks with the project's multi-label strategy
(`multilabel_modeling`); its queue stores each label's probability, not the top classes, and
the accuracy estimate and stopping rules (single-label) are left out. A regression project's
(`task="regression"`) trains the project's regressor on the resolved items' numbers and ranks
with its regression strategy (`regression_modeling`); its queue stores each item's predicted
number (and predictive std), and the run's note gives the in-sample and cross-validated R².
"""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy import bindparam, delete, func, insert, select

from .. import UNLABELED
from .db import Store, utcnow
from .highlights import driving_terms
from .insights import ServiceInsights, dumps, loads
from .labelset import grow
from .modeling import ServiceLoop, cv_accuracy, rank_pool
from .multilabel import is_multilabel
from .overlap import Overlap
from .planstats import PlannerStats
from .queries import CHANGE_KINDS, current_labels, wanting_condition
from .regression import is_regression
from .settings import Settings, read_settings, retrain_requested_at
from .tables import Event, Item, Lease, QueueEntry, Run

log = logging.getLogger("activelab.service.worker")


@dataclass(frozen=True)
class Due:
    """Whether a retrain is due, and on which state of the log."""

    due: bool
    last_event_id: int
    new_labels: int


class RetrainWorker:
    """Refits in a daemon thread; `run_once` does one retrain synchronously (tests, admin)."""

    def __init__(self, store: Store, X, labels: list[str], poll_seconds: float = 1.0,
                 backend: str | None = None, ray_address: str | None = None,
                 terms: list[str] | None = None, task: str = "classification") -> None:
        self.store = store
        self.X = X
        self.labels = list(labels)
        self.terms = terms  # of TF-IDF columns: the queue then says which words drove a guess
        self.task = task
        # kept between retrains: bandits learn; `backend` ranks on activelab.distributed
        if is_multilabel(task):
            from .multilabel_modeling import MultilabelServiceLoop

            self.loop = MultilabelServiceLoop(X, len(self.labels))
        elif is_regression(task):
            from .regression_modeling import RegressionServiceLoop

            self.loop = RegressionServiceLoop(X)
        else:
            self.loop = ServiceLoop(X, len(self.labels), backend=backend, ray_address=ray_address)
        self.insights = ServiceInsights(X.shape[0], len(self.labels))  # and the stopping rules
        self.planner = PlannerStats()  # PostgreSQL's statistics kept up with the log
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._extra: list[threading.Thread] = []

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="activelab-retrain", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in [self._thread, *self._extra]:
            if thread is not None:
                thread.join(timeout)
        self._thread, self._extra = None, []

    def retrain_now(self) -> None:
        """Retrain in the background even if not due (admin request); `stop` waits for it."""
        thread = threading.Thread(target=self._forced, name="activelab-retrain-now", daemon=True)
        self._extra.append(thread)
        thread.start()

    def _forced(self) -> None:
        try:
            self.run_once(force=True)
        except Exception:
            log.exception("retrain failed")

    def trigger(self) -> None:
        """Ask the thread to check now whether a retrain is due (cheap; call after each label)."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.run_once()
            except Exception:  # never let the thread die; the next wake-up tries again
                log.exception("retrain check failed")

    def due(self, settings: Settings) -> Due:
        with self.store.read() as s:
            last = s.scalar(select(Run).order_by(Run.id.desc()).limit(1))
            last_event = int(s.scalar(select(func.max(Event.id))) or 0)
            since = last.last_event_id if last is not None else 0
            new = int(s.scalar(
                select(func.count()).select_from(Event)
                .where(Event.id > since, Event.kind.in_(CHANGE_KINDS))  # reviews too
            ) or 0)
            if last is None:
                return Due(True, last_event, new)
            requested = retrain_requested_at(self.store.get_settings(s))
            if requested is not None and requested > last.started_at:
                return Due(True, last_event, new)
            if new >= settings.retrain_every:
                return Due(True, last_event, new)
            if new > 0:  # the queue ran dry before K labels: re-rank rather than hand out random items
                overlap = Overlap.from_settings(settings)
                left = s.scalar(
                    select(func.count()).select_from(QueueEntry)
                    .join(Item, Item.idx == QueueEntry.item_idx)
                    .where(wanting_condition(QueueEntry.item_idx, overlap.single)),
                    {} if overlap.single else overlap.params(),
                )
                return Due(not left, last_event, new)
            return Due(False, last_event, new)

    def run_once(self, force: bool = False) -> Run | None:
        """Retrain if due (or `force`); returns the recorded run, or None when not due."""
        with self._lock:
            settings = read_settings(self.store)
            due = self.due(settings)
            if not (due.due or force):
                return None
            run = self._retrain(settings, due.last_event_id)
            self._refresh_planner()
            return run

    def _refresh_planner(self) -> None:
        """`planstats.PlannerStats.refresh`; a failure is logged, never a failed retrain."""
        try:
            self.planner.refresh(self.store)
        except Exception:  # noqa: BLE001 - the statistics only make plans better
            log.exception("refreshing the planner statistics failed")

    def _retrain(self, settings: Settings, last_event_id: int) -> Run:
        started = utcnow()
        t0 = time.perf_counter()
        with self.store.read() as s:
            labeled = current_labels(s)
            run_no = int(s.scalar(select(func.count()).select_from(Run)) or 0) + 1
            random_cutoff = s.scalar(  # until the first model ranked the queue, picks were random
                select(Run.finished_at).where(Run.status == "ok", ~Run.strategy.like("random%"))
                .order_by(Run.id).limit(1))
            leased = leased_items(s, started)
        settings = queue_for_team(settings, leased)
        self._follow_label_set()
        if is_multilabel(self.task):
            return self._retrain_multilabel(settings, last_event_id, labeled, run_no, started, t0)
        if is_regression(self.task):
            return self._retrain_regression(settings, last_event_id, labeled, run_no, started, t0)
        code = {name: i for i, name in enumerate(self.labels)}
        y = np.full(self.X.shape[0], UNLABELED, dtype=np.int64)
        random_rows = np.zeros(self.X.shape[0], dtype=bool)
        for idx, ev in labeled.items():
            if ev.label in code:
                y[idx] = code[ev.label]
                random_rows[idx] = (settings.strategy == "random" or random_cutoff is None
                                    or ev.created_at <= random_cutoff)
        n_labels = int((y != UNLABELED).sum())
        run = Run(started_at=started, n_labels=n_labels, last_event_id=last_event_id,
                  strategy=settings.strategy, model=settings.model)
        try:
            ranking = rank_pool(self.loop, y, settings.strategy, settings.model,
                                settings.queue_size, seed=run_no)
            acc, folds = cv_accuracy(self.loop.X, y, settings.model, seed=run_no)
        except Exception as exc:
            return self._failed(run, exc)
        run.status, run.strategy = "ok", ranking.strategy
        run.cv_accuracy, run.cv_folds = acc, folds
        run.insights = dumps(self._insights(y, run_no, random_rows))
        drivers = self._drivers(ranking)
        run.finished_at = utcnow()
        self._replace_queue(run, ranking, lambda r: _model_view(ranking, r, drivers))
        log.info("retrained on %d labels in %.2fs (%s); cv accuracy %s", n_labels,
                 time.perf_counter() - t0, ranking.strategy, "n/a" if acc is None else f"{acc:.3f}")
        return run


    def _retrain_multilabel(self, settings: Settings, last_event_id: int, labeled: dict,
                            run_no: int, started, t0: float) -> Run:
        """`_retrain` of a multilabel project: the label matrix, the multi-label strategy, each
        queued item's label probabilities (`multilabel_modeling`)."""
        from .multilabel_modeling import label_matrix, rank_multilabel_pool

        Y = label_matrix(labeled, self.labels, self.X.shape[0])
        n_labels = int((Y != UNLABELED).all(axis=1).sum())
        run = Run(started_at=started, n_labels=n_labels, last_event_id=last_event_id,
                  strategy=settings.strategy, model=settings.model)
        try:
            ranking = rank_multilabel_pool(self.loop, Y, settings.strategy, settings.model,
                                           settings.queue_size, seed=run_no)
        except Exception as exc:
            return self._failed(run, exc)
        run.status, run.strategy = "ok", ranking.strategy
        run.insights = dumps({"estimate": None, "stopping": {}, "forecast": None,
                              "note": "the accuracy estimate and the stopping rules are for "
                                      "single-label projects."})
        run.finished_at = utcnow()
        self._replace_queue(run, ranking, lambda r: _label_probabilities(ranking, r))
        log.info("retrained on %d labelled items in %.2fs (%s)", n_labels,
                 time.perf_counter() - t0, ranking.strategy)
        return run

    def _retrain_regression(self, settings: Settings, last_event_id: int, labeled: dict,
                            run_no: int, started, t0: float) -> Run:
        """`_retrain` of a regression project: the numbers, the regression strategy, each queued
        item's predicted number; the fit's R² in the run's note (`regression_modeling`)."""
        from .regression_modeling import (
            describe_fit,
            fit_figures,
            rank_regression_pool,
            value_vector,
        )

        y = value_vector(labeled, self.X.shape[0])
        n_labels = int(np.isfinite(y).sum())
        run = Run(started_at=started, n_labels=n_labels, last_event_id=last_event_id,
                  strategy=settings.strategy, model=settings.model)
        try:
            ranking = rank_regression_pool(self.loop, y, settings.strategy, settings.model,
                                           settings.queue_size, seed=run_no)
        except Exception as exc:
            return self._failed(run, exc)
        figures = None
        try:
            figures = fit_figures(self.loop, y, ranking.fitted, settings.model, seed=run_no)
            note = describe_fit(figures)
        except Exception as exc:  # reported in the run; the queue still swaps
            log.exception("the regression fit's R² could not be computed")
            note = f"the fit's R² failed: {type(exc).__name__}: {exc}"[:500]
        run.status, run.strategy = "ok", ranking.strategy
        run.insights = dumps({"estimate": None, "stopping": {}, "forecast": None, "note": note,
                              "fit": figures})
        run.finished_at = utcnow()
        self._replace_queue(run, ranking, lambda r: _predicted_value(ranking, r))
        log.info("retrained on %d numbers in %.2fs (%s)", n_labels, time.perf_counter() - t0,
                 ranking.strategy)
        return run

    def _failed(self, run: Run, exc: Exception) -> Run:
        """Record a failed retrain; the previous queue stays in use."""
        log.exception("retrain on %d labels failed; the previous queue stays in use", run.n_labels)
        run.status = "failed"
        run.error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
        run.finished_at = utcnow()
        with self.store.write() as s:
            s.add(run)
        return run

    def _replace_queue(self, run: Run, ranking, prediction) -> None:
        """Store the finished run and replace the whole queue with its ranking in one
        transaction (`prediction(rank)`: what the page shows of the model's view)."""
        with self.store.write() as s:
            s.add(run)
            s.flush()
            s.execute(delete(QueueEntry))
            if ranking.idx.shape[0]:
                scores = ranking.scores
                s.execute(insert(QueueEntry), [
                    {"item_idx": int(i), "rank": r, "run_id": run.id,
                     "score": None if scores is None else _finite(scores[r]),
                     "prediction": prediction(r)}
                    for r, i in enumerate(ranking.idx)
                ])

    def _follow_label_set(self) -> None:
        """Take up the labels an admin added since (`labelset`): existing codes keep their
        meaning; the model gets the new classes, its loop starts afresh."""
        labels = grow(self.store, self.labels)
        if len(labels) != len(self.labels):
            log.info("the label set grew to %d labels: %s", len(labels), ", ".join(labels))
            self.labels = labels
            self.loop.set_classes(len(labels))
            self.insights.n_classes = len(labels)

    def _insights(self, y: np.ndarray, seed: int, random_rows: np.ndarray) -> dict:
        """The estimate, stopping verdicts and forecast after this retrain; a failure here is
        logged and recorded, never a failed retrain (the new queue matters more)."""
        try:
            if not self.insights.seeded:  # once per worker: the stored history, oldest first
                with self.store.read() as s:
                    self.insights.seed_history([loads(text) for text in s.scalars(
                        select(Run.insights).where(Run.status == "ok").order_by(Run.id))])
            return self.insights.after_retrain(self.loop.loop, y, seed, random_rows=random_rows)
        except Exception as exc:  # noqa: BLE001 - reported in the run, the queue still swaps
            log.exception("the accuracy estimate / stopping rules failed")
            return {"estimate": None, "stopping": {}, "forecast": None,
                    "note": f"insights failed: {type(exc).__name__}: {exc}"[:500]}

    def _drivers(self, ranking) -> list | None:
        """The words behind each queued row's predicted label (`highlights.driving_terms`), or
        None; a failure here is logged, never a failed retrain."""
        if not self.terms or ranking.proba is None or self.loop.loop is None:
            return None
        try:
            return driving_terms(self.loop.loop.fitted, self.loop.X[ranking.idx],
                                 np.argmax(ranking.proba, axis=1), self.terms)
        except Exception:  # noqa: BLE001 - the queue matters more than its highlights
            log.exception("the words behind the predictions could not be computed")
            return None


_LEASED = select(func.count(func.distinct(Lease.item_idx))).where(Lease.expires_at > bindparam("now"))


def leased_items(s, now) -> int:
    """How many items are leased out (an unexpired lease) at `now`."""
    return int(s.scalar(_LEASED, {"now": now}) or 0)


def queue_for_team(settings: Settings, leased: int) -> Settings:
    """The settings a retrain ranks with: `queue_size` items *besides* the `leased` ones. Leased
    items stay queued until labeled, so a queue of exactly `queue_size` held nothing for the
    next caller once the team outnumbered it (200 annotators, 100 queued: half the team got
    random items, not the strategy's picks)."""
    return replace(settings, queue_size=settings.queue_size + leased)


def _model_view(ranking, row: int, drivers: list | None = None, k: int = 3) -> str | None:
    """What the labeling page shows of a queued row: the model's top `k` classes (label index,
    probability), the family of the strategy that chose it and, on TF-IDF features with a linear
    model, the terms that drove its guess (term, contribution), as JSON."""
    if ranking.proba is None:
        return None
    p = ranking.proba[row]
    top = np.argsort(-p, kind="stable")[:k]
    view = {"top": [[int(c), round(float(p[c]), 4)] for c in top if np.isfinite(p[c])],
            "family": ranking.family}
    if drivers is not None:
        view["terms"] = [[term, float(f"{weight:.4g}")] for term, weight in drivers[row]]
    return json.dumps(view)


def _label_probabilities(ranking, row: int) -> str | None:
    """What the labeling page shows of a multilabel project's queued row: the model's
    probability of each label (in label-set order) and the strategy's family, as JSON."""
    if ranking.proba is None:
        return None
    p = ranking.proba[row]
    return json.dumps({"probabilities": [round(float(x), 4) if np.isfinite(x) else None
                                         for x in p], "family": ranking.family})


def _predicted_value(ranking, row: int) -> str | None:
    """What the labeling page shows of a regression project's queued row: the model's predicted
    number and, when the model has one, its predictive std, as JSON."""
    if ranking.value is None or not np.isfinite(ranking.value[row]):
        return None
    std = None if ranking.std is None else _finite(ranking.std[row])
    return json.dumps({"value": float(ranking.value[row]), "std": std})


def _finite(value) -> float | None:
    v = float(value)
    return v if np.isfinite(v) else None
