"""Export the labels as CSV or JSONL: the current label of every labeled item, or (history)
every event of the log."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select

from .db import Store
from .progress import iso
from .queries import annotator_names, current_labels
from .tables import Event, Item

FORMATS = ("csv", "jsonl")
CURRENT_FIELDS = ("item_id", "label", "annotator", "labeled_at", "event_id")
HISTORY_FIELDS = ("event_id", "kind", "item_id", "label", "annotator", "at", "target_event_id",
                  "request_id")


def export_rows(store: Store, history: bool = False) -> tuple[tuple[str, ...], list[dict]]:
    with store.read() as s:
        ids = dict(s.execute(select(Item.idx, Item.item_id)).all())
        names = annotator_names(s)
        if history:
            rows = [
                {"event_id": ev.id, "kind": ev.kind, "item_id": ids[ev.item_idx], "label": ev.label,
                 "annotator": names.get(ev.annotator_id), "at": iso(ev.created_at),
                 "target_event_id": ev.target_event_id, "request_id": ev.request_id}
                for ev in s.scalars(select(Event).order_by(Event.id))
            ]
            return HISTORY_FIELDS, rows
        current = current_labels(s)
    rows = [
        {"item_id": ids[idx], "label": ev.label, "annotator": names.get(ev.annotator_id),
         "labeled_at": iso(ev.created_at), "event_id": ev.id}
        for idx, ev in sorted(current.items())
    ]
    return CURRENT_FIELDS, rows


def render(fields: tuple[str, ...], rows: list[dict], fmt: str) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
