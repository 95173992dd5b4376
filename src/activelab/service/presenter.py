"""Response bodies: a leased item and a log outcome, as the JSON API shows them
(`NextOut`, `EventOut`; a multilabel project's `MultilabelNextOut`, `LabelsEventOut`; a regression
project's `RegressionNextOut`, `ValueEventOut`), with the plain-words reason an item was chosen."""

from __future__ import annotations

import json
import math
from urllib.parse import quote

from .auth import Principal
from .labellog import Outcome
from .leases import Leased
from .progress import iso
from .queries import annotator_count
from .schemas import (
    EventOut,
    LabelsEventOut,
    MultilabelNextOut,
    NextOut,
    PredictionOut,
    RegressionNextOut,
    TermOut,
    ValueEventOut,
)
from .tables import Run


class Presenter:
    """Turns leases and outcomes into response schemas for one runtime (its items and labels);
    remembers the retrain runs it has explained."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self._runs: dict[int, Run] = {}

    def run(self, run_id: int | None) -> Run | None:
        if run_id is None:
            return None
        if run_id not in self._runs:
            with self.runtime.store.read() as s:
                run = s.get(Run, run_id)
            if run is None:
                return None
            self._runs[run_id] = run
        return self._runs[run_id]

    def next_out(self, who: Principal, leased: Leased | None) -> NextOut:
        with self.runtime.store.connect() as conn:
            count = annotator_count(conn, who.id)
        common = {"labels": self.runtime.labels, "annotator": who.name, "annotator_count": count}
        if leased is None:
            return NextOut(done=True, why="Nothing left to label for you: every item is labeled, "
                                          "skipped by you, or leased to someone else.", **common)
        item = self.runtime.items[leased.item_idx]
        view = self.model_view(leased)
        out = NextOut(
            done=False, item_id=item["item_id"], kind=item["kind"], score=leased.score,
            rank=None if leased.rank is None else leased.rank + 1,
            why=self.why(leased, view), lease_expires_at=iso(leased.expires_at),
            prediction=None if view is None else [
                PredictionOut(label=lab, probability=p) for lab, p in view["top"]],
            highlights=None if view is None or view["terms"] is None else [
                TermOut(term=term, weight=w) for term, w in view["terms"]],
            **common,
        )
        return with_content(out, item)

    def multilabel_next_out(self, who: Principal, leased: Leased | None) -> MultilabelNextOut:
        """`next_out` for a multilabel project: with the model's probability of each label."""
        out = MultilabelNextOut(**self.next_out(who, leased).model_dump())
        if out.why.startswith("Random pick: no model yet"):
            out.why = ("Random pick: no model yet — once some label is given to a labeled item "
                       "and left off another, the strategy ranks the rest.")
        view = None if leased is None else self.label_probabilities(leased)
        if view is not None:
            out.label_probabilities = [PredictionOut(label=lab, probability=p)
                                       for lab, p in view["probabilities"]]
            out.why = self.why(leased, view)
        return out

    def regression_next_out(self, who: Principal, leased: Leased | None) -> RegressionNextOut:
        """`next_out` for a regression project: its unit and range, the model's prediction (and
        predictive std, when the model has one)."""
        config = self.runtime.project.config
        out = RegressionNextOut(**self.next_out(who, leased).model_dump(), unit=config.unit,
                                value_range=config.value_range)
        if leased is None or out.done:
            return out
        view = self.predicted_value(leased)
        run = self.run(leased.run_id)
        if view is not None:
            out.predicted_value, out.predicted_std = view["value"], view["std"]
        cold = run is not None and leased.rank is not None and run.strategy.endswith("(cold start)")
        if cold or out.why.startswith("Random pick: no model yet"):
            if cold or run is None or leased.rank is None:
                out.why = ("No model yet — until two labeled items have different numbers, the "
                           "queue spreads over the data (greedy_x: far from what is labeled).")
            else:
                out.why = (f"Chosen by {run.strategy} (rank {leased.rank + 1} in the queue of "
                           f"model #{run.id}, trained on {run.n_labels} labels).")
        elif view is not None and run is not None and leased.rank is not None:
            guess = f"{view['value']:.4g}" + ("" if view["std"] is None
                                                 else f" ± {view['std']:.2g}")
            out.why = (f"The model predicts {guess}. Chosen by {run.strategy} (rank "
                       f"{leased.rank + 1} in the queue of model #{run.id}, trained on "
                       f"{run.n_labels} labels).")
        return out

    def predicted_value(self, leased: Leased) -> dict | None:
        """The stored regressor's view of a queued item: {"value": prediction, "std": its
        predictive std or None}, or None."""
        if not leased.prediction:
            return None
        try:
            doc = json.loads(leased.prediction)
            value = float(doc["value"])
            std = None if doc.get("std") is None else float(doc["std"])
        except (ValueError, KeyError, TypeError):
            return None
        if not math.isfinite(value):
            return None
        if std is not None and not (math.isfinite(std) and std >= 0):
            std = None
        return {"value": value, "std": std}

    def value_event_out(self, who: Principal, out: Outcome) -> ValueEventOut:
        """`event_out` for a regression project: with the number given."""
        return ValueEventOut(**self.event_out(who, out).model_dump(), value=out.value)

    def label_probabilities(self, leased: Leased) -> dict | None:
        """The stored multi-label model's view of a queued item: {"probabilities": [(label,
        P(label applies)), ...] in label-set order, "family": ...}, or None."""
        if not leased.prediction:
            return None
        try:
            doc = json.loads(leased.prediction)
            labels = self.runtime.labels
            probs = [(labels[j], min(1.0, max(0.0, float(p))))
                     for j, p in enumerate(doc["probabilities"][:len(labels)])
                     if math.isfinite(float(p))]
        except (ValueError, KeyError, TypeError):
            return None
        if len(probs) != len(labels):
            return None
        return {"probabilities": probs, "family": str(doc.get("family") or "")}

    def model_view(self, leased: Leased) -> dict | None:
        """The stored model's view of a queued item: {"top": [(label, probability), ...],
        "family": ..., "terms": [(term, weight), ...] or None}, or None."""
        if not leased.prediction:
            return None
        try:
            doc = json.loads(leased.prediction)
            labels = self.runtime.labels
            top = [(labels[int(c)], min(1.0, max(0.0, float(p)))) for c, p in doc["top"]
                   if 0 <= int(c) < len(labels)]
        except (ValueError, KeyError, TypeError):
            return None
        if not top:
            return None
        return {"top": top, "family": str(doc.get("family") or ""),
                "terms": _terms(doc.get("terms"))}

    def why(self, leased: Leased, view: dict | None = None) -> str:
        run = self.run(leased.run_id)
        if leased.rank is None and leased.resumed:
            return ("Still yours from before: the model has re-ranked the queue since you were "
                    "given this item, so it has no rank in the current queue.")
        if leased.rank is None or run is None:
            return ("Random pick: every queued item is labeled, skipped by you or leased to "
                    "someone else; the model is re-ranking.")
        if leased.score is None:
            return ("Random pick: no model yet — once items of at least two classes are "
                    "labeled, the strategy ranks the rest.")
        where = (f"rank {leased.rank + 1} in the queue of model #{run.id}, trained on "
                 f"{run.n_labels} labels")
        reason = _plain_reason(view)
        if reason:
            return f"{reason} Chosen by {run.strategy} ({where})."
        return f"Chosen by {run.strategy}: score {leased.score:.3f} ({where})."

    def event_out(self, who: Principal, out: Outcome) -> EventOut:
        with self.runtime.store.connect() as conn:
            count = annotator_count(conn, who.id)
        return EventOut(event_id=out.event_id, kind=out.kind, item_id=out.item_id, label=out.label,
                        duplicate=out.duplicate, annotator_count=count)

    def labels_event_out(self, who: Principal, out: Outcome) -> LabelsEventOut:
        """`event_out` for a multilabel project: with the set of labels given."""
        return LabelsEventOut(**self.event_out(who, out).model_dump(), labels=out.labels)


def with_content(out, item: dict):
    """`out` (a NextOut or ReviewItemOut) with the item's content: its image's URL, its text,
    or its table fields."""
    if item["kind"] == "image":
        out.content_url = "/api/content?item_id=" + quote(item["item_id"], safe="")
    elif item["kind"] == "text":
        out.text = item["text"]
    else:
        out.fields = item["fields"]
    return out


def _terms(raw) -> list[tuple[str, float]] | None:
    """The stored (term, weight) pairs that drove the prediction (`highlights`), or None when
    none were stored (not TF-IDF, not a linear model) or they do not read."""
    if not isinstance(raw, list):
        return None
    try:
        pairs = [(str(term), float(weight)) for term, weight in raw]
    except (ValueError, TypeError):
        return None
    return [(term, w) for term, w in pairs if math.isfinite(w) and w > 0]


def _plain_reason(view: dict | None) -> str:
    """Why, in plain words, from the model's view of the item and the strategy's family."""
    if not view:
        return ""
    if "probabilities" in view:
        return _multilabel_reason(view["probabilities"], view["family"])
    top, family = view["top"], view["family"]
    (first, p1) = top[0]
    if family == "exploration":
        return (f"Unlike what is labeled so far: picked to cover the data (the model guesses "
                f"{first}, {p1:.0%}).")
    if len(top) > 1 and top[1][1] >= 0.5 * p1:
        second, p2 = top[1]
        return f"The model hesitates between {first} ({p1:.0%}) and {second} ({p2:.0%})."
    if family == "baseline":
        return f"A random pick (the model guesses {first}, {p1:.0%})."
    return f"The model leans to {first} ({p1:.0%}) but is unsure enough to ask."


def _multilabel_reason(probabilities: list[tuple[str, float]], family: str) -> str:
    """Why, in plain words, from a multi-label model's probability of each label."""
    guess = [lab for lab, p in probabilities if p >= 0.5]
    said = ", ".join(guess) if guess else "none of the labels"
    if family == "exploration":
        return f"Unlike what is labeled so far: picked to cover the data (the model guesses {said})."
    unsure = sorted((abs(p - 0.5), lab, p) for lab, p in probabilities if 0.2 <= p <= 0.8)[:2]
    if unsure:
        which = " and ".join(f"{lab} ({p:.0%})" for _, lab, p in unsure)
        return f"The model is unsure about {which}."
    if family == "baseline":
        return f"A random pick (the model guesses {said})."
    return f"The model guesses {said} but is unsure enough to ask."
