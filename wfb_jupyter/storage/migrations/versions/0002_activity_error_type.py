"""Record the error type of failed activity attempts, so failures can be grouped by cause.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activity_executions") as batch_op:
        batch_op.add_column(sa.Column("error_type", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("activity_executions") as batch_op:
        batch_op.drop_column("error_type")
