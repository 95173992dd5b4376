"""The database schema (SQLAlchemy 2.0). Alembic migrations in `migrations/` create it; a test
checks that the two agree.

    items       one row per pool item: `idx` is the pool position, `item_id` the stable id,
                `overlap_key` its place on the overlap circle (`overlap.py`)
    annotators  people, their hashed tokens and when the tokens expire
    sessions    browser sign-ins: the hash of a random session id, whose, until when, revoked
    invitations one-time sign-in codes (hashed) for an annotator, until when, used when
    events      the append-only label log: label, relabel, skip, undo, review — who, what, when
                (`label`: one label; `labels`: a multilabel project's set, a JSON list;
                `value`: a regression project's number)
    leases      which annotators hold which item until when (one row per item and annotator)
    queue       the current ranking of unlabeled items by the strategy's score, with the model's
                top classes for each
    runs        every retrain: when, on how many labels, cross-validated accuracy, or the error;
                its insights (accuracy estimate, stopping verdicts, forecast) as JSON
    settings    run-time settings an admin may change (JSON values)
    stream_items a stream project's arrivals, in arrival order (`seq`): the features, the
                decision the learner made at once (queried, utility, reason, predicted label and
                probabilities), the labels it learned just before deciding (`taught`), and the
                pool position the item took when queried (`item_idx`) — append-only
    label_additions  labels an admin added to the label set after init: the code each takes
                (its position in the full set), who, when — append-only

Nothing in `events` is ever updated or deleted; the current label of an item is derived from it
(see `queries.py`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Double,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

EVENT_KINDS = ("label", "relabel", "skip", "undo", "review")

# BIGINT on PostgreSQL, INTEGER (the rowid alias, so it autoincrements) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"

    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    item_id: Mapped[str] = mapped_column(String(512), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    overlap_key: Mapped[int] = mapped_column(BigInteger, server_default="0")


class Annotator(Base):
    __tablename__ = "annotators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class LoginSession(Base):
    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_annotator", "annotator_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('label', 'relabel', 'skip', 'undo', 'review')", name="ck_events_kind"
        ),
        Index("ix_events_item", "item_idx"),
        Index("ix_events_annotator", "annotator_id", "id"),
        Index("ix_events_target", "target_event_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    item_idx: Mapped[int] = mapped_column(ForeignKey("items.idx"))
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id"))
    label: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # a multilabel project's answer: a JSON list of label names ("[]": none of them); NULL else
    labels: Mapped[str | None] = mapped_column(Text, nullable=True)
    # a regression project's answer: a finite number; NULL else
    value: Mapped[float | None] = mapped_column(Double, nullable=True)
    target_event_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("events.id"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Lease(Base):
    __tablename__ = "leases"
    __table_args__ = (Index("ix_leases_annotator", "annotator_id"),)

    item_idx: Mapped[int] = mapped_column(ForeignKey("items.idx"), primary_key=True)
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id"), primary_key=True)
    leased_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))
    n_labels: Mapped[int] = mapped_column(Integer)
    last_event_id: Mapped[int] = mapped_column(BigInteger)
    strategy: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    cv_accuracy: Mapped[float | None] = mapped_column(Float, nullable=True)
    cv_folds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    insights: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON, see insights.py


class QueueEntry(Base):
    __tablename__ = "queue"

    item_idx: Mapped[int] = mapped_column(ForeignKey("items.idx"), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, index=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    # the model's view of the item, JSON {"top": [[label index, probability], ...], "family": …}
    prediction: Mapped[str | None] = mapped_column(Text, nullable=True)


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class LabelAddition(Base):
    __tablename__ = "label_additions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[int] = mapped_column(Integer, unique=True)  # the label's index in the full set
    label: Mapped[str] = mapped_column(String(100), unique=True)
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotators.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class StreamItem(Base):
    __tablename__ = "stream_items"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    item_id: Mapped[str] = mapped_column(String(512), unique=True)
    request_id: Mapped[str] = mapped_column(String(100), unique=True)
    features: Mapped[str] = mapped_column(Text)  # JSON list of floats
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    queried: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(16))
    utility: Mapped[float | None] = mapped_column(Double, nullable=True)
    predicted_label: Mapped[str | None] = mapped_column(String(100), nullable=True)
    probabilities: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON, classes_ order
    # JSON [[seq, event id], ...]: the labels the learner learned just before this decision
    taught: Mapped[str] = mapped_column(Text)
    item_idx: Mapped[int | None] = mapped_column(ForeignKey("items.idx"), nullable=True,
                                                 unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
