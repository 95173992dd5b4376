"""Export the labels: the current label of every labeled item, or (history) every event of the
log, as CSV, JSON Lines or Parquet; the current labels also as Label Studio tasks.

`export_rows` chooses what is exported; `encode` writes it in a format (`FORMATS`):

    csv, jsonl    one row per label (or event), the fields of `CURRENT_FIELDS`/`HISTORY_FIELDS`
    parquet       the same columns, typed: ids int64, times timestamp[us, UTC], the rest text
    labelstudio   a JSON list of Label Studio tasks (its "Basic Label Studio JSON format"), one
                  per labeled item: ``data`` holds the item (``image``: its path, or
                  `image_root` + its path; ``text``; or ``item``: a row's fields) and its
                  ``item_id``; ``annotations`` one annotation whose ``result`` is a ``choices``
                  result from the ``label`` control to that object (`LABEL_STUDIO_CONFIG`)

A multilabel project exports a ``labels`` column instead of ``label``: each item's set of labels
as a list (JSON Lines, Parquet ``list<string>``, Label Studio ``choices`` with every label of it;
an empty set is ``[]``, and an annotation with an empty result), joined by ``;`` in CSV (an empty
cell, with status ``labeled``: none of the labels applies).

A regression project exports a ``value`` column instead: each item's number (a JSON number, a
Parquet ``double``, a number in CSV; Label Studio: a ``number`` result from a ``value`` control,
``<Number name="value" toName="…"/>``).

A stream project exports every arrival, in arrival order (`STREAM_FIELDS`): its position `seq`,
whether its label was asked for (`queried`; ``false`` rows are kept for audit, status
``not_queried``), the selector's reason, the learner's prediction on arrival, the current label
(as a classification project's), when it arrived, its features (a list; JSON text in CSV) and
text. Its history is the classification log's; Label Studio tasks hold the queried items.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import select

from .._errors import InvalidInputError
from .db import Store
from .errors import LabelError
from .multilabel import decode, is_multilabel
from .progress import iso
from .project import SET_SEPARATOR
from .queries import annotator_names, item_states
from .regression import is_regression
from .tables import Event, Item

FORMATS = ("csv", "jsonl", "parquet", "labelstudio")
MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson",
               "parquet": "application/vnd.apache.parquet", "labelstudio": "application/json"}
SUFFIXES = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet", "labelstudio": "json"}
CURRENT_FIELDS = ("item_id", "label", "annotator", "labeled_at", "event_id", "status")
HISTORY_FIELDS = ("event_id", "kind", "item_id", "label", "annotator", "at", "target_event_id",
                  "request_id")
SET_CURRENT_FIELDS = tuple("labels" if f == "label" else f for f in CURRENT_FIELDS)
SET_HISTORY_FIELDS = tuple("labels" if f == "label" else f for f in HISTORY_FIELDS)
"""A multilabel project's columns: `labels`, a list, where a classification project has `label`."""
VALUE_CURRENT_FIELDS = tuple("value" if f == "label" else f for f in CURRENT_FIELDS)
VALUE_HISTORY_FIELDS = tuple("value" if f == "label" else f for f in HISTORY_FIELDS)
"""A regression project's columns: `value`, a number, where a classification project has `label`."""
STREAM_FIELDS = ("item_id", "seq", "queried", "reason", "predicted_label", "label", "annotator",
                 "labeled_at", "event_id", "status", "arrived_at", "features", "text")


def export_rows(store: Store, history: bool = False,
                task: str = "classification") -> tuple[tuple[str, ...], list[dict]]:
    if is_multilabel(task):
        return _answer_rows(store, history, "labels", lambda ev: decode(ev.labels))
    if is_regression(task):
        return _answer_rows(store, history, "value", lambda ev: ev.value)
    if task == "stream" and not history:
        return _stream_rows(store)
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
        states = item_states(s)
    rows = [current_row(ids[idx], st, names) for idx, st in sorted(states.items())]
    return CURRENT_FIELDS, rows


def current_row(item_id: str, state, names: dict) -> dict:
    """An item's current label (`queries.resolve`): the label (None while its annotators tie),
    who gave it (several names joined by ";"), when, from which event, and its status."""
    ev = state.event
    return {"item_id": item_id, "label": state.label,
            "annotator": ";".join(names.get(a, "?") for a in state.credited) or None,
            "labeled_at": None if ev is None else iso(ev.created_at),
            "event_id": None if ev is None else ev.id, "status": state.status}


def _stream_rows(store: Store) -> tuple[tuple[str, ...], list[dict]]:
    """`export_rows` of a stream project: every arrival in arrival order, with its decision and
    (when queried and labeled) its current label."""
    from .tables import StreamItem

    with store.read() as s:
        names = annotator_names(s)
        states = item_states(s)
        arrivals = s.scalars(select(StreamItem).order_by(StreamItem.seq)).all()
    rows = []
    for a in arrivals:
        if a.item_idx is None:
            current = {"label": None, "annotator": None, "labeled_at": None, "event_id": None,
                       "status": "not_queried"}
        elif a.item_idx in states:
            current = current_row(a.item_id, states[a.item_idx], names)
            del current["item_id"]
        else:
            current = {"label": None, "annotator": None, "labeled_at": None, "event_id": None,
                       "status": "queued"}
        rows.append({"item_id": a.item_id, "seq": a.seq, "queried": bool(a.queried),
                     "reason": a.reason, "predicted_label": a.predicted_label, **current,
                     "arrived_at": iso(a.created_at), "features": json.loads(a.features),
                     "text": a.text})
    return STREAM_FIELDS, rows


def _answer_rows(store: Store, history: bool, column: str,
                 answer) -> tuple[tuple[str, ...], list[dict]]:
    """`export_rows` of a multilabel project (`column` "labels": a list) or a regression one
    ("value": a number): `answer(event)` reads it (None on skips and undos)."""
    with store.read() as s:
        ids = dict(s.execute(select(Item.idx, Item.item_id)).all())
        names = annotator_names(s)
        if history:
            rows = [
                {"event_id": ev.id, "kind": ev.kind, "item_id": ids[ev.item_idx],
                 column: answer(ev), "annotator": names.get(ev.annotator_id),
                 "at": iso(ev.created_at), "target_event_id": ev.target_event_id,
                 "request_id": ev.request_id}
                for ev in s.scalars(select(Event).order_by(Event.id))
            ]
            return (SET_HISTORY_FIELDS if column == "labels" else VALUE_HISTORY_FIELDS), rows
        states = item_states(s)
    rows = []
    for idx, st in sorted(states.items()):
        row = current_row(ids[idx], st, names)
        del row["label"]
        rows.append({"item_id": row.pop("item_id"),
                     column: None if st.event is None else answer(st.event), **row})
    return (SET_CURRENT_FIELDS if column == "labels" else VALUE_CURRENT_FIELDS), rows


def render(fields: tuple[str, ...], rows: list[dict], fmt: str) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    if "features" in fields:  # a stream item's features in one cell: JSON
        rows = [{**r, "features": json.dumps(r["features"])} for r in rows]
    if "labels" in fields:  # a set of labels in one cell: a;b
        rows = [{**r, "labels": None if r["labels"] is None else SET_SEPARATOR.join(r["labels"])}
                for r in rows]
    writer.writerows(rows)
    return buf.getvalue()


def encode(fields: tuple[str, ...], rows: list[dict], fmt: str, *, items: dict | None = None,
           data_root=None, image_root: str | None = None) -> bytes:
    """`rows` in format `fmt` (one of `FORMATS`). Label Studio needs the items (item id →
    manifest entry) and the data folder; it exports current labels only (`LabelError`
    otherwise)."""
    if fmt == "parquet":
        return _parquet(fields, rows)
    if fmt == "labelstudio":
        if "kind" in fields:  # the history: events, not current labels
            raise LabelError("the Label Studio format holds each item's current label, not the "
                             "history of the log; export the history as csv, jsonl or parquet.",
                             ("query", "history"))
        if "queried" in fields:  # a stream: only the queried items are labeling tasks
            rows = [r for r in rows if r["queried"]]
        tasks = label_studio_tasks(rows, items or {}, data_root, image_root)
        return json.dumps(tasks, ensure_ascii=False, indent=1).encode("utf-8")
    if fmt not in FORMATS:
        raise LabelError(f"unknown export format {fmt!r}; formats: {', '.join(FORMATS)}.",
                         ("query", "format"))
    return render(fields, rows, fmt).encode("utf-8")


LABEL_STUDIO_OBJECTS = {"image": "image", "text": "text", "row": "item"}
"""The Label Studio object (and `data` key) showing an item of each kind."""
LABEL_STUDIO_CONFIG = {
    "image": '<Image name="image" value="$image"/>',
    "text": '<Text name="text" value="$text"/>',
    "row": '<Table name="item" value="$item"/>',
}
"""The object tag of a labeling config that matches the tasks, next to
``<Choices name="label" toName="OBJECT" choice="single">`` (a multilabel project:
``choice="multiple"``) with one ``<Choice value="…"/>`` per label (a regression project:
``<Number name="value" toName="OBJECT"/>``)."""


def label_studio_tasks(rows: list[dict], items: dict, data_root=None,
                       image_root: str | None = None) -> list[dict]:
    """One Label Studio task per item with a current label (`rows` of `export_rows`; a row
    without a label, e.g. annotators who disagree, has no task)."""
    tasks = []
    for row in rows:
        if "value" in row:  # a regression project's number
            if row["value"] is None:
                continue
            choices = None
        else:
            choices = row["labels"] if "labels" in row else (
                None if row.get("label") is None else [row["label"]])
            if choices is None:
                continue
        item = items[row["item_id"]]
        key = LABEL_STUDIO_OBJECTS[item["kind"]]
        if item["kind"] == "image":
            value = (image_root + quote(item["path"]) if image_root is not None
                     else str(Path(data_root or ".") / item["path"]))
        elif item["kind"] == "text":
            value = item["text"]
        else:
            value = item["fields"]
        if choices is None:
            result = {"from_name": "value", "to_name": key, "type": "number",
                      "value": {"number": row["value"]}}
        else:
            result = {"from_name": "label", "to_name": key, "type": "choices",
                      "value": {"choices": choices}}
        tasks.append({"data": {key: value, "item_id": row["item_id"]},
                      "annotations": [{"result": [] if choices == [] else [result]}]})
    return tasks


_INTEGERS = ("event_id", "target_event_id", "seq")
_TIMES = ("labeled_at", "at", "arrived_at")


def _parquet(fields: tuple[str, ...], rows: list[dict]) -> bytes:
    """The rows as one Parquet table: the columns of `fields`, typed."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InvalidInputError("the Parquet export needs pyarrow; install it with: "
                                "pip install pyarrow") from None
    columns = {}
    for name in fields:
        values = [row.get(name) for row in rows]
        if name in _INTEGERS:
            columns[name] = pa.array(values, type=pa.int64())
        elif name == "labels":
            columns[name] = pa.array(values, type=pa.list_(pa.string()))
        elif name == "value":
            columns[name] = pa.array(values, type=pa.float64())
        elif name == "queried":
            columns[name] = pa.array(values, type=pa.bool_())
        elif name == "features":
            columns[name] = pa.array(values, type=pa.list_(pa.float64()))
        elif name in _TIMES:
            columns[name] = pa.array([None if v is None else datetime.fromisoformat(v)
                                      for v in values], type=pa.timestamp("us", tz="UTC"))
        else:
            columns[name] = pa.array([None if v is None else str(v) for v in values],
                                     type=pa.string())
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue().to_pybytes()
