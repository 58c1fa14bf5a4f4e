"""Remember when each version was last made active (a rollback goes back to the previous one), and each
attempt's activity id (``enrich[3]``: the iteration of a for_each, which timelines show on rows of their own).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workflow_compiled_code") as batch_op:
        batch_op.add_column(sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True))
    # The versions active now were activated when they were built, as far as anyone can tell.
    op.execute("UPDATE workflow_compiled_code SET activated_at = created_at WHERE is_active")
    with op.batch_alter_table("activity_executions") as batch_op:
        batch_op.add_column(sa.Column("activity_id", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("activity_executions") as batch_op:
        batch_op.drop_column("activity_id")
    with op.batch_alter_table("workflow_compiled_code") as batch_op:
        batch_op.drop_column("activated_at")
