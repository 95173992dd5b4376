"""More than one annotator per item: column items.overlap_key (the item's place on the overlap
circle, from its id: `overlap.py`), one lease per item *and annotator* (primary key of leases:
item_idx, annotator_id), and the event kind ``review`` (a reviewer's decision on an item).

Revision ID: 0006
Revises: 0005
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

KINDS_BEFORE = "kind IN ('label', 'relabel', 'skip', 'undo')"
KINDS_AFTER = "kind IN ('label', 'relabel', 'skip', 'undo', 'review')"
_items = sa.table("items", sa.column("idx", sa.Integer()), sa.column("item_id", sa.String()),
                  sa.column("overlap_key", sa.BigInteger()))


def _key(item_id: str) -> int:  # = overlap.overlap_key, frozen here as this revision knew it
    return int.from_bytes(hashlib.sha256(item_id.encode("utf-8")).digest()[:4], "big")


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("overlap_key", sa.BigInteger(), server_default="0",
                                   nullable=False))
    rows = bind.execute(sa.select(_items.c.idx, _items.c.item_id)).all()
    set_key = (sa.update(_items).where(_items.c.idx == sa.bindparam("b_idx"))
               .values(overlap_key=sa.bindparam("b_key")))
    for start in range(0, len(rows), 5000):
        bind.execute(set_key, [{"b_idx": idx, "b_key": _key(item_id)}
                               for idx, item_id in rows[start:start + 5000]])
    _check_kinds(KINDS_BEFORE, KINDS_AFTER)
    _lease_key(["item_idx", "annotator_id"])


def downgrade() -> None:
    bind = op.get_bind()
    # reviews (and the undos of reviews) have no place in the old log
    bind.execute(sa.text("DELETE FROM events WHERE kind = 'undo' AND target_event_id IN "
                         "(SELECT id FROM events WHERE kind = 'review')"))
    bind.execute(sa.text("DELETE FROM events WHERE kind = 'review'"))
    _check_kinds(KINDS_AFTER, KINDS_BEFORE)
    # one lease per item again: keep the one that lasts longest
    bind.execute(sa.text(
        "DELETE FROM leases WHERE EXISTS (SELECT 1 FROM leases AS other WHERE "
        "other.item_idx = leases.item_idx AND (other.expires_at > leases.expires_at OR "
        "(other.expires_at = leases.expires_at AND other.annotator_id < leases.annotator_id)))"))
    _lease_key(["item_idx"])
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+ too): a batch copy of items would have to drop a
    # table that others reference, which SQLite refuses with foreign keys on
    op.execute("ALTER TABLE items DROP COLUMN overlap_key")


def _check_kinds(old: str, new: str) -> None:
    """Make `new` the check of events.kind."""
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("ck_events_kind", "events", type_="check")
        op.create_check_constraint("ck_events_kind", "events", new)
        return
    # SQLite: a new table, the rows copied over. Its self-reference names the new table (the
    # rename carries it over), so dropping the old one orphans no row — a batch copy's would,
    # and SQLite refuses that with foreign keys on.
    op.create_table(
        "events_new",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("item_idx", sa.Integer(), nullable=False),
        sa.Column("annotator_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(100), nullable=True),
        sa.Column("target_event_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(new, name="ck_events_kind"),
        sa.ForeignKeyConstraint(["item_idx"], ["items.idx"]),
        sa.ForeignKeyConstraint(["annotator_id"], ["annotators.id"]),
        sa.ForeignKeyConstraint(["target_event_id"], ["events_new.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
    )
    columns = "id, request_id, kind, item_idx, annotator_id, label, target_event_id, created_at"
    op.execute(f"INSERT INTO events_new ({columns}) SELECT {columns} FROM events ORDER BY id")
    for index in ("ix_events_item", "ix_events_annotator", "ix_events_target"):
        op.drop_index(index, table_name="events")
    op.drop_table("events")
    op.rename_table("events_new", "events")
    op.create_index("ix_events_item", "events", ["item_idx"])
    op.create_index("ix_events_annotator", "events", ["annotator_id", "id"])
    op.create_index("ix_events_target", "events", ["target_event_id"])


def _lease_key(columns: list[str]) -> None:
    """Make `columns` the primary key of leases (its rows kept)."""
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("leases_pkey", "leases", type_="primary")
        op.create_primary_key("leases_pkey", "leases", columns)
        return
    # SQLite: a new table with the new key, the rows copied over
    op.create_table(
        "leases_new",
        sa.Column("item_idx", sa.Integer(), nullable=False),
        sa.Column("annotator_id", sa.Integer(), nullable=False),
        sa.Column("leased_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_idx"], ["items.idx"]),
        sa.ForeignKeyConstraint(["annotator_id"], ["annotators.id"]),
        sa.PrimaryKeyConstraint(*columns),
    )
    op.execute("INSERT INTO leases_new (item_idx, annotator_id, leased_at, expires_at) "
               "SELECT item_idx, annotator_id, leased_at, expires_at FROM leases")
    op.drop_index("ix_leases_annotator", table_name="leases")
    op.drop_table("leases")
    op.rename_table("leases_new", "leases")
    op.create_index("ix_leases_annotator", "leases", ["annotator_id"])
