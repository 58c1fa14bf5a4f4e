"""Schedules and re-runs: a ``workflow_schedules`` table (one Temporal schedule per workflow), and on each
execution the schedule that started it, or the run it re-runs and the step it started from.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "workflow_schedules",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("workflow_id", _ID, nullable=False),
        sa.Column("schedule_id", sa.String(length=300), nullable=False),
        sa.Column("every", sa.String(length=50), nullable=True),
        sa.Column("cron", sa.String(length=200), nullable=True),
        sa.Column("timezone", sa.String(length=100), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("pinned_version", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("overlap", sa.String(length=20), nullable=False),
        sa.Column("catchup_window_seconds", sa.BigInteger(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_workflow_schedules_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_workflow_schedules_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_schedules")),
        sa.UniqueConstraint("schedule_id", name=op.f("uq_workflow_schedules_schedule_id")),
        sa.UniqueConstraint("workflow_id", name=op.f("uq_workflow_schedules_workflow_id")),
    )
    with op.batch_alter_table("workflow_schedules") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_schedules_project_id"), ["project_id"], unique=False
        )
    with op.batch_alter_table("workflow_executions") as batch_op:
        batch_op.add_column(sa.Column("schedule_id", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("rerun_of", _ID, nullable=True))
        batch_op.add_column(sa.Column("from_step", sa.String(length=200), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_workflow_executions_schedule_id"), ["schedule_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_workflow_executions_rerun_of_workflow_executions"),
            "workflow_executions",
            ["rerun_of"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("workflow_executions") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_workflow_executions_rerun_of_workflow_executions"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_workflow_executions_schedule_id"))
        batch_op.drop_column("from_step")
        batch_op.drop_column("rerun_of")
        batch_op.drop_column("schedule_id")
    with op.batch_alter_table("workflow_schedules") as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_schedules_project_id"))
    op.drop_table("workflow_schedules")
