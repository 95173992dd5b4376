"""Regression projects: column events.value, an answer that is a number (double precision; NULL
on every other event, and on every event of a classification or multilabel project, whose
answers stay in events.label and events.labels).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ALTER TABLE … ADD COLUMN on both databases: a nullable column needs no copy of the log
    op.add_column("events", sa.Column("value", sa.Double(), nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    # numbers have no place in the old log: drop them, and the undos that targeted them
    bind.execute(sa.text("DELETE FROM events WHERE kind = 'undo' AND target_event_id IN "
                         "(SELECT id FROM events WHERE value IS NOT NULL)"))
    bind.execute(sa.text("DELETE FROM events WHERE value IS NOT NULL"))
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+ too), as 0006 and 0007 do
    op.execute("ALTER TABLE events DROP COLUMN value")
