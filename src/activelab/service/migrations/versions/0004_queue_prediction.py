"""The model's view of each queued item (its top classes and their probabilities, JSON), so the
labeling page can show what the model predicts and why the item was chosen: column
queue.prediction.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queue") as batch:
        batch.add_column(sa.Column("prediction", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("queue") as batch:
        batch.drop_column("prediction")
