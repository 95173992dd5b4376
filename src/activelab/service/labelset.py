"""The project's label set: the labels of `activelab init` (``project.json``), then those an admin
added later (table ``label_additions``), in the order they were added.

The set only grows. A label's *code* — its position in the set, what the model's classes, the
queue's predictions and the worker's ``y`` use — never changes: an addition takes the next free
code, and nothing is ever reordered or removed, so every label in the log keeps its meaning.
Each addition records who added it and when.

    full_labels(store, base)        base + the additions, by code (remembered CACHE_SECONDS)
    add_label(store, base, who, x)  append x (refusing empty, odd or duplicate names)
    grow(store, labels)             `labels` with the additions made since (for the worker)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .auth import Principal
from .db import Store, utcnow
from .errors import ConflictError, LabelError
from .project import CONTROL_CHARACTERS, MAX_LABELS
from .tables import Annotator, LabelAddition

CACHE_SECONDS = 2.0
MAX_LABEL_LENGTH = 100  # events.label holds at most this many characters


@dataclass(frozen=True)
class Addition:
    """One label added after init: its code (position in the set), who added it, when."""

    label: str
    code: int
    added_by: str
    added_at: datetime


def additions(store: Store) -> list[Addition]:
    """Every addition, oldest (lowest code) first."""
    with store.read() as s:
        rows = s.execute(
            select(LabelAddition.label, LabelAddition.code, Annotator.name,
                   LabelAddition.created_at)
            .join(Annotator, Annotator.id == LabelAddition.annotator_id)
            .order_by(LabelAddition.code)
        ).all()
    return [Addition(r.label, r.code, r.name, r.created_at) for r in rows]


def full_labels(store: Store, base: list[str], max_age: float = CACHE_SECONDS) -> list[str]:
    """The whole label set: `base` (the project's labels), then the additions by code. Read at
    most every `max_age` seconds per store; an addition in this process refreshes it at once."""
    cached = getattr(store, "_labelset_cache", None)
    if cached is not None and cached[1] > time.monotonic() - max_age and cached[2] == base:
        return list(cached[0])
    with store.read() as s:
        added = list(s.scalars(select(LabelAddition.label).order_by(LabelAddition.code)))
    labels = list(base) + added
    store._labelset_cache = (labels, time.monotonic(), list(base))
    return list(labels)


def grow(store: Store, labels: list[str]) -> list[str]:
    """`labels` followed by the additions whose codes come after them (a worker's label list,
    brought up to date without knowing which of its labels came from init)."""
    with store.read() as s:
        added = list(s.scalars(select(LabelAddition.label)
                               .where(LabelAddition.code >= len(labels))
                               .order_by(LabelAddition.code)))
    return list(labels) + added


def check_new_label(label: str, current: list[str]) -> str:
    """The label to add (surrounding spaces removed), or a `LabelError` naming what is wrong:
    empty, a control character or comma, too long, a duplicate (ignoring case), too many."""
    name = label.strip()
    loc = ("body", "label")
    if not name:
        raise LabelError("the new label is empty; give it a name, e.g. \"unsure\".", loc)
    if CONTROL_CHARACTERS.search(name):
        raise LabelError("a label must be printable text, without control characters.", loc)
    if "," in name:
        raise LabelError(f"{name!r} holds a comma; labels are comma-separated on the command line "
                         "(activelab init --labels), so they cannot contain one.", loc)
    if len(name) > MAX_LABEL_LENGTH:
        raise LabelError(f"a label has at most {MAX_LABEL_LENGTH} characters; this one has "
                         f"{len(name)}.", loc)
    same = [lab for lab in current if lab.casefold() == name.casefold()]
    if same:
        raise ConflictError(f"{name!r} is in the label set already (as {same[0]!r}); labels "
                            "are never repeated, not even in another case.")
    if len(current) >= MAX_LABELS:
        raise LabelError(f"the label set holds {len(current)} labels, the most a project can "
                         f"have ({MAX_LABELS}).", loc)
    return name


def add_label(store: Store, base: list[str], who: Principal, label: str) -> Addition:
    """Append `label` to the set (code: the next position), recorded with `who` and now.
    Raises `LabelError` (422) for a name that cannot be a label, `ConflictError` (409) for one
    the set holds already."""
    with store.write(durable=True) as s:
        added = list(s.scalars(select(LabelAddition.label).order_by(LabelAddition.code)))
        name = check_new_label(label, list(base) + added)
        code = len(base) + int(s.scalar(select(func.count()).select_from(LabelAddition)) or 0)
        now = utcnow()
        try:
            s.add(LabelAddition(code=code, label=name, annotator_id=who.id, created_at=now))
            s.flush()
        except IntegrityError:  # another admin added a label at the same moment
            raise ConflictError("the label set changed while adding this label; look at it "
                                "again and retry.") from None
    store._labelset_cache = None
    return Addition(name, code, who.name, now)
