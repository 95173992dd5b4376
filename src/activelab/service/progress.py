"""Read-only views of the log: counts (`/api/stats`) and the progress page's series
(labels over time, the learning curve with the accuracy estimates, the queue's scores, recent
retrains) and the newest retrain's insights (estimate, stopping verdicts, forecast)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from .db import Store, utcnow
from .insights import loads
from .multilabel import event_labels
from .queries import (
    LABEL_KINDS,
    annotator_names,
    current_labels,
    item_states,
    labeled_condition,
    live,
    overlap_in,
    wanting_condition,
)
from .tables import Event, Item, Lease, QueueEntry, Run

MAX_POINTS = 300
MAX_QUEUE_POINTS = 500


def iso(dt) -> str | None:
    return None if dt is None else dt.isoformat(timespec="seconds") + "Z"


def run_dict(run: Run | None) -> dict | None:
    if run is None:
        return None
    return {
        "id": run.id, "status": run.status, "n_labels": run.n_labels, "strategy": run.strategy,
        "model": run.model, "cv_accuracy": run.cv_accuracy, "cv_folds": run.cv_folds,
        "started_at": iso(run.started_at), "finished_at": iso(run.finished_at),
        "seconds": round((run.finished_at - run.started_at).total_seconds(), 3),
        "error": run.error,
    }


def stats(store: Store, labels: list[str]) -> dict:
    with store.read() as s:
        overlap = overlap_in(s)
        current = [st for st in item_states(s, overlap).values() if st.resolved]
        names = annotator_names(s)
        per_class = {lab: 0 for lab in labels}
        per_annotator: Counter = Counter()
        for st in current:  # an agreed or majority label counts for each annotator who gave it
            for label in event_labels(st.event):  # a multilabel item counts for each of its labels
                per_class[label] = per_class.get(label, 0) + 1
            per_annotator.update(names.get(a, "?") for a in st.credited)
        n_items = int(s.scalar(select(func.count()).select_from(Item)) or 0)
        skipped = int(s.scalar(
            select(func.count(func.distinct(Event.item_idx)))
            .where(Event.kind == "skip", live(), ~labeled_condition(Event.item_idx))
        ) or 0)
        leases = int(s.scalar(
            select(func.count()).select_from(Lease).where(Lease.expires_at > utcnow())
        ) or 0)
        queue = int(s.scalar(  # queued items that still want labels
            select(func.count()).select_from(QueueEntry)
            .join(Item, Item.idx == QueueEntry.item_idx)
            .where(wanting_condition(QueueEntry.item_idx, overlap.single)),
            {} if overlap.single else overlap.params(),
        ) or 0)
        last = s.scalar(select(Run).order_by(Run.id.desc()).limit(1))
    return {
        "items": n_items, "labeled": len(current), "unlabeled": n_items - len(current),
        "skipped": skipped, "per_class": per_class,
        "per_annotator": dict(sorted(per_annotator.items())), "active_leases": leases,
        "queue_size": queue, "last_run": run_dict(last),
    }


def progress(store: Store, labels: list[str]) -> dict:
    with store.read() as s:
        events = s.execute(
            select(Event.id, Event.kind, Event.item_idx, Event.target_event_id, Event.created_at)
            .order_by(Event.id)
        ).all()
        runs = list(s.scalars(select(Run).order_by(Run.id)))
        overlap = overlap_in(s)
        queue = s.execute(
            select(QueueEntry.rank, QueueEntry.score, Item.item_id)
            .join(Item, Item.idx == QueueEntry.item_idx)
            .where(wanting_condition(QueueEntry.item_idx, overlap.single))
            .order_by(QueueEntry.rank).limit(MAX_QUEUE_POINTS),
            {} if overlap.single else overlap.params(),
        ).all()
        per_class = {lab: 0 for lab in labels}
        for ev in current_labels(s, overlap).values():
            for label in event_labels(ev):
                per_class[label] = per_class.get(label, 0) + 1
    ok = [(r, loads(r.insights) or {}) for r in runs if r.status == "ok"]
    return {
        "labels_over_time": labels_over_time(events),
        "learning_curve": [
            {"n_labels": r.n_labels, "cv_accuracy": r.cv_accuracy, "run": r.id,
             "strategy": r.strategy, "at": iso(r.finished_at), **_estimate_point(doc),
             **_fit_point(doc)}
            for r, doc in ok if _on_curve(r, doc)
        ],
        "insights": _latest_insights(ok),
        "queue_scores": [{"rank": r, "score": sc, "item_id": iid} for r, sc, iid in queue],
        "runs": [run_dict(r) for r in runs[-20:]][::-1],
        "per_class": per_class,
    }


def _estimate_point(doc: dict) -> dict:
    est = doc.get("estimate") or {}
    return {"estimated_accuracy": est.get("accuracy"), "estimate_low": est.get("low"),
            "estimate_high": est.get("high")}


def _on_curve(run, doc: dict) -> bool:
    """Whether a run is a point of the learning curve: it has a cross-validated accuracy, an
    accuracy estimate, or (regression) a cross-validated R²."""
    return (run.cv_accuracy is not None or bool(doc.get("estimate"))
            or _fit_point(doc).get("cv_r2") is not None)


def _fit_point(doc: dict) -> dict:
    """A regression project's run: its cross-validated and in-sample R² (`regression_modeling`);
    nothing for the others."""
    fit = doc.get("fit")
    if not isinstance(fit, dict):
        return {}
    return {"cv_r2": fit.get("r2_cv"), "r2_in_sample": fit.get("r2_in_sample")}


def _latest_insights(ok: list) -> dict | None:
    """The newest retrain's insights (estimate, stopping verdicts, forecast), with its run."""
    for run, doc in reversed(ok):
        if doc:
            return {"run": run.id, "n_labels": run.n_labels, "at": iso(run.finished_at),
                    "estimate": doc.get("estimate"), "stopping": doc.get("stopping") or {},
                    "forecast": doc.get("forecast"), "note": doc.get("note", "")}
    return None


def labels_over_time(events) -> list[dict]:
    """Replay the log: the number of labeled items after each change, at most MAX_POINTS."""
    live_labels: dict[int, list[int]] = {}
    item_of: dict[int, int] = {}
    n, points = 0, []
    for ev_id, kind, item_idx, target, at in events:
        before = n
        if kind in LABEL_KINDS:
            stack = live_labels.setdefault(item_idx, [])
            n += not stack
            stack.append(ev_id)
            item_of[ev_id] = item_idx
        elif kind == "undo" and target in item_of:
            stack = live_labels[item_of[target]]
            if target in stack:
                stack.remove(target)
                n -= not stack
        if n != before:
            points.append({"t": iso(at), "labeled": n})
    if len(points) > MAX_POINTS:
        step = len(points) / MAX_POINTS
        points = [points[int(i * step)] for i in range(MAX_POINTS - 1)] + [points[-1]]
    return points
