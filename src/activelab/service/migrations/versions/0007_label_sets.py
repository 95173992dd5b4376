"""Multilabel projects: column events.labels, an answer that is a set of labels (a JSON list of
label names, ``[]`` for none of them; NULL on every other event, and on every event of a
classification project, whose answer stays in events.label).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ALTER TABLE … ADD COLUMN on both databases: a nullable column needs no copy of the log
    op.execute("ALTER TABLE events ADD COLUMN labels TEXT")


def downgrade() -> None:
    bind = op.get_bind()
    # label sets have no place in the old log: drop them, and the undos that targeted them
    bind.execute(sa.text("DELETE FROM events WHERE kind = 'undo' AND target_event_id IN "
                         "(SELECT id FROM events WHERE labels IS NOT NULL)"))
    bind.execute(sa.text("DELETE FROM events WHERE labels IS NOT NULL"))
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+ too), as 0006 does: a batch copy of events would
    # have to drop a table that others reference, which SQLite refuses with foreign keys on
    op.execute("ALTER TABLE events DROP COLUMN labels")
