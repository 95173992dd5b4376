"""What a stream project changes: items arrive one at a time through ``POST /api/stream/items``
and an `activelab.stream.StreamLearner` decides *at once* whether to buy each item's label under
the project's labeling rate (its `budget`). A queried item joins the labeling queue (in arrival
order) and is labeled on the ordinary classification page; the other items are kept for audit.

    is_stream(task)                   the project's task is "stream"
    selector_names(), model_names()   activelab.stream's registries
    parse_budget(text), parse_dim(text)  init's --budget and --dim, checked
    StreamBook                        the learner of a serving process, rebuilt from the database
    NoWorker                          the retrain worker of a stream project: none (the learner
                                      learns each label as it is needed, in the API process)

Where the learner lives: in the API process, behind one lock. A decision must be answered within
the ingesting request, and the learner's step (a prediction and one selector rule) takes far
less than a round trip to the worker process would. `activelab serve` runs one API process, so
one learner owns the stream.

Durability: the decision, prediction and arrival order (`tables.StreamItem`) are committed
(durably) before the request is answered. Teaching is pull-based: before each decision the
learner learns the labels given since the previous one (each queried item's first `label`
event, in log order), and the decision's row records which (`taught`: [[seq, event id], ...]).
So a restart replays the rows in arrival order — the recorded labels first, then the decision
with its stored probabilities — and ends with the same model, selector and budget state; no
stored decision is recomputed (a replay that disagreed with one refuses to start). Relabels and
undos stay in the log and the exports, but an incremental model cannot unlearn: the learner keeps
the first label given to an item.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, insert, select

from .._errors import ActiveLabError
from .db import Store, utcnow
from .errors import ConflictError
from .tables import Event, Item, QueueEntry, StreamItem

STREAM = "stream"
DEFAULT_SELECTOR = "variable_uncertainty"
DEFAULT_MODEL = "sgd"
DEFAULT_BUDGET = 0.1
MAX_DIM = 10_000


def is_stream(task: str) -> bool:
    return task == STREAM


def selector_names() -> list[str]:
    from ..stream import stream_selector_names

    return list(stream_selector_names())


def model_names() -> list[str]:
    from ..stream import stream_model_names

    return list(stream_model_names())


def parse_budget(text, error: type[Exception]) -> float:
    """``"0.1"`` → 0.1, a labeling rate in (0, 1]; `error` otherwise."""
    if text is None:
        return DEFAULT_BUDGET
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= 1):
        raise error(f"--budget is the labeling rate, a number in (0, 1] (the share of arriving "
                    f"items whose label may be bought, e.g. 0.1); got {text!r}.")
    return value


def parse_dim(text, error: type[Exception]) -> int:
    """``"4"`` → 4, the number of features each arriving item has; `error` otherwise."""
    if text is None:
        raise error("--dim is needed for a stream project: the number of features each arriving "
                    "item carries (e.g. --dim 8).")
    try:
        value = int(str(text).strip())
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_DIM:
        raise error(f"--dim must be an integer from 1 to {MAX_DIM}; got {text!r}.")
    return value


def refuse_settings(values: dict, error) -> None:
    """A stream project's selector and model are fixed (the learner is rebuilt with them), and
    one annotator labels each queried item (one label is learned per item)."""
    for key in ("strategy", "model"):
        if values.get(key) is not None:
            raise error(f"{key} cannot change on a stream project: the learner replays every "
                        "stored decision with the selector and model it was created with "
                        "(`activelab init --selector/--model`).")
    k = values.get("annotations_per_item")
    if k is not None and k != 1:
        raise error("annotations_per_item must stay 1 on a stream project: the learner learns "
                    "one label per queried item.")


def item_view(row: StreamItem, idx: int) -> dict:
    """A queried stream item as the labeling page shows it: its text, or its features."""
    if row.text is not None:
        return {"idx": idx, "item_id": row.item_id, "kind": "text", "text": row.text}
    values = json.loads(row.features)
    return {"idx": idx, "item_id": row.item_id, "kind": "row",
            "fields": {f"x{j}": v for j, v in enumerate(values)}}


def load_items(store: Store) -> list[dict]:
    """The labeling pool of a stream project (its queried items, in pool order)."""
    with store.read() as s:
        rows = s.scalars(select(StreamItem).where(StreamItem.item_idx.is_not(None))
                         .order_by(StreamItem.item_idx)).all()
    items = [item_view(row, row.item_idx) for row in rows]
    if [it["idx"] for it in items] != list(range(len(items))):
        raise ActiveLabError("the stream's queried items do not fill the pool positions 0..n-1; "
                             "the database was changed by hand.")
    return items


@dataclass
class Ingested:
    """One arrival's stored decision (`row`), the counts at that moment, and whether it was
    a retry (nothing decided again)."""

    row: StreamItem
    items_seen: int
    labels_spent: int
    duplicate: bool


class NoWorker:
    """A stream project has no retrain worker: its learner lives in the API process."""

    def start(self) -> None: ...

    def stop(self, timeout: float = 10.0) -> None: ...

    def trigger(self) -> None: ...

    def retrain_now(self) -> None: ...


class StreamBook:
    """The learner of a serving process and the stream's stored decisions.

    `ingest` decides one arrival and stores it; `rebuild` replays the stored rows."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self.config = runtime.project.config
        self.lock = threading.Lock()
        self.rebuild()

    def _new_learner(self):
        from ..stream import StreamLearner

        return StreamLearner(self.config.model, self.config.strategy,
                             classes=self.config.labels, budget=self.config.budget,
                             random_state=self.config.seed)

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.learner.classes_]

    def rebuild(self) -> None:
        """Replay every stored arrival in order: the labels it records as learned, then its
        decision with its stored probabilities (never recomputed)."""
        learner = self._new_learner()
        steps: dict[int, object] = {}
        taught: set[int] = set()
        with self.runtime.store.read() as s:
            rows = s.scalars(select(StreamItem).order_by(StreamItem.seq)).all()
            event_ids = [eid for row in rows for _, eid in json.loads(row.taught)]
            labels = dict(s.execute(select(Event.id, Event.label)
                                    .where(Event.id.in_(event_ids))).all()) if event_ids else {}
        for row in rows:
            for seq, eid in json.loads(row.taught):
                learner.teach(steps.pop(seq), labels[eid])
                taught.add(seq)
            proba = None if row.probabilities is None else np.asarray(
                json.loads(row.probabilities), dtype=float)
            step = learner.decide(json.loads(row.features), proba=proba)
            if step.queried != row.queried or step.index != row.seq:
                raise ActiveLabError(
                    f"replaying stream item {row.item_id!r} (#{row.seq}) decided differently from "
                    "the stored decision; the stream's rows or the project's selector, model or "
                    "seed were changed by hand.")
            if step.queried:
                steps[row.seq] = step
        self.learner, self.steps, self.taught = learner, steps, taught

    def _catch_up(self) -> list[list[int]]:
        """Teach the labels given since the last decision: each queried item's first `label`
        event, in log order. Returns [[seq, event id], ...] as taught. Reads only the events of
        the queried items not learned yet (the labeling backlog), not the whole log."""
        if not self.steps:
            return []
        with self.runtime.store.read() as s:
            found = s.execute(
                select(StreamItem.seq, Event.id, Event.label)
                .join(Event, Event.item_idx == StreamItem.item_idx)
                .where(Event.kind == "label", Event.label.is_not(None),
                       StreamItem.seq.in_(sorted(self.steps)))
                .order_by(Event.id)).all()
        done: list[list[int]] = []
        for seq, eid, label in found:
            if seq in self.taught or seq not in self.steps:
                continue
            self.learner.teach(self.steps.pop(seq), label)
            self.taught.add(seq)
            done.append([int(seq), int(eid)])
        return done

    def ingest(self, item_id: str, features: list[float], text: str | None,
               request_id: str) -> Ingested:
        """Decide the arrival and store the decision (durably) before answering; a retry of a
        stored arrival answers its stored decision."""
        with self.lock:
            found = self._stored(item_id, request_id, features, text)
            if found is not None:
                return found
            try:
                taught = self._catch_up()
                step = self.learner.decide(features)
                row = self._row(step, item_id, features, text, request_id, taught)
                view = self._store(row, step)
            except BaseException:
                self.rebuild()  # the learner moved ahead of the database: put it back
                raise
            if step.queried:
                self.steps[step.index] = step
            if view is not None:
                self.runtime.items.append(view)
                self.runtime.by_id[view["item_id"]] = view
            budget = self.learner.budget_
            return Ingested(row, budget.seen_, budget.spent_, duplicate=False)

    def _row(self, step, item_id, features, text, request_id, taught) -> StreamItem:
        proba = None if step.proba is None else [float(p) for p in step.proba]
        utility = float(step.utility)
        return StreamItem(
            seq=step.index, item_id=item_id, request_id=request_id,
            features=json.dumps([float(v) for v in features]), text=text,
            queried=bool(step.queried), reason=str(step.reason),
            utility=utility if math.isfinite(utility) else None,
            predicted_label=None if step.prediction is None else str(step.prediction),
            probabilities=None if proba is None else json.dumps(proba),
            taught=json.dumps(taught), item_idx=None, created_at=utcnow())

    def _store(self, row: StreamItem, step) -> dict | None:
        """Write the row (and, when queried, the item and its queue entry) in one durable
        transaction; returns the new pool item's view, or None."""
        view = None
        with self.runtime.store.write(durable=True) as s:
            if row.queried:
                idx = int(s.scalar(select(func.count()).select_from(Item)))
                row.item_idx = idx
                view = item_view(row, idx)
                s.execute(insert(Item), [{"idx": idx, "item_id": row.item_id,
                                          "kind": view["kind"], "overlap_key": 0}])
                s.execute(insert(QueueEntry), [{
                    "item_idx": idx, "rank": row.seq, "score": row.utility, "run_id": None,
                    "prediction": self._prediction(step)}])
            s.add(row)
        return view

    def _prediction(self, step) -> str | None:
        """The queue's model view of a queried item: its top classes (label-set positions)."""
        if step.proba is None:
            return None
        labels = self.runtime.labels
        ranked = sorted(zip(self.classes, step.proba), key=lambda cp: -cp[1])[:3]
        return json.dumps({"top": [[labels.index(c), float(p)] for c, p in ranked],
                           "family": "uncertainty"})

    def _stored(self, item_id, request_id, features, text) -> Ingested | None:
        with self.runtime.store.read() as s:
            rows = s.scalars(select(StreamItem).where(
                (StreamItem.item_id == item_id) | (StreamItem.request_id == request_id))).all()
            if not rows:
                return None
            row = next((r for r in rows if r.item_id == item_id), rows[0])
            spent = int(s.scalar(select(func.count()).select_from(StreamItem).where(
                StreamItem.seq <= row.seq, StreamItem.queried.is_(True))))
        if row.item_id != item_id:
            raise ConflictError(f"request_id {request_id!r} was used for stream item "
                                f"{row.item_id!r}; use a new request_id for each item.")
        if json.loads(row.features) != [float(v) for v in features] or row.text != text:
            raise ConflictError(f"stream item {item_id!r} arrived before with other features or "
                                "text; an item's id names one item (send a new id).")
        return Ingested(row, row.seq + 1, spent, duplicate=True)

    def counts(self) -> dict:
        """Items seen and labels spent (the learner's budget), without reading the database."""
        budget = self.learner.budget_
        return {"items_seen": budget.seen_, "labels_spent": budget.spent_,
                "budget": self.config.budget, "selector": self.config.strategy}

    def status(self) -> dict:
        """Items seen, labels spent, the budget line, and the prequential accuracy."""
        budget = self.learner.budget_
        with self.runtime.store.read() as s:
            found = s.execute(
                select(StreamItem.seq, StreamItem.predicted_label, Event.label)
                .join(Event, Event.item_idx == StreamItem.item_idx)
                .where(Event.kind == "label", Event.label.is_not(None))
                .order_by(Event.id)).all()
        first: dict[int, tuple] = {}
        for seq, predicted, label in found:
            first.setdefault(seq, (predicted, label))
        judged = [(p, y) for p, y in first.values() if p is not None]
        correct = sum(p == y for p, y in judged)
        return {"items_seen": budget.seen_, "labels_spent": budget.spent_,
                "budget": self.config.budget, "ceiling": budget.ceiling(budget.seen_),
                "labels_learned": self.learner.n_labels_, "labeled": len(first),
                "prequential_n": len(judged),
                "prequential_accuracy": None if not judged else correct / len(judged),
                "selector": self.config.strategy, "model": self.config.model}
