"""Stream projects: table stream_items, each arrival in arrival order (`seq`) with the decision
the learner made at once — queried or not, its utility and reason, the predicted label and class
probabilities — the labels the learner learned just before deciding (`taught`, JSON [[seq, event
id], ...]), and, when queried, the pool position (`items.idx`) the item took to be labeled.
Append-only: a restart replays it to rebuild the learner. Empty on every other project.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stream_items",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("item_id", sa.String(512), nullable=False, unique=True),
        sa.Column("request_id", sa.String(100), nullable=False, unique=True),
        sa.Column("features", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("queried", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("utility", sa.Double(), nullable=True),
        sa.Column("predicted_label", sa.String(100), nullable=True),
        sa.Column("probabilities", sa.Text(), nullable=True),
        sa.Column("taught", sa.Text(), nullable=False),
        sa.Column("item_idx", sa.Integer(), sa.ForeignKey("items.idx"), nullable=True,
                  unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stream_items")
