"""Hourly rollups of activity attempts and closed executions, built here from the records already stored; and
the worker that ran each attempt.

Building the rollups reads every stored attempt once (about 10 s per million on SQLite), inside the upgrade's
transaction: a failed upgrade leaves the database as it was. It uses this release's rollup code, which is the
code that will read and extend them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from wfb_jupyter.storage.repository.rollups import rebuild_rollups

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _aggregates(count: str, *, retries: bool) -> list[sa.Column[object]]:
    columns: list[sa.Column[object]] = [sa.Column(count, sa.BigInteger(), nullable=False)]
    if retries:
        columns.append(sa.Column("retries", sa.BigInteger(), nullable=False))
    return [
        *columns,
        sa.Column("timed", sa.BigInteger(), nullable=False),
        sa.Column("duration_sum_ms", sa.BigInteger(), nullable=False),
        sa.Column("duration_min_ms", sa.BigInteger(), nullable=True),
        sa.Column("duration_max_ms", sa.BigInteger(), nullable=True),
        sa.Column("histogram", sa.LargeBinary(), nullable=False),
    ]


def _identity() -> list[sa.Column[object]]:
    return [
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("rollup_key", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table("activity_executions") as batch_op:
        batch_op.add_column(sa.Column("worker_id", sa.BigInteger(), nullable=True))
    op.create_table(
        "activity_rollups",
        *_identity(),
        sa.Column("workflow_id", _ID, nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("step_id", sa.String(length=200), nullable=False),
        sa.Column("component", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error_type", sa.String(length=200), nullable=True),
        *_aggregates("attempts", retries=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_activity_rollups_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_activity_rollups_workflow_id_workflows"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_rollups")),
        sa.UniqueConstraint("rollup_key", name=op.f("uq_activity_rollups_rollup_key")),
    )
    op.create_index(
        op.f("ix_activity_rollups_project_id_hour"), "activity_rollups", ["project_id", "hour"]
    )
    op.create_table(
        "execution_rollups",
        *_identity(),
        sa.Column("workflow_id", _ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        *_aggregates("executions", retries=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_execution_rollups_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_execution_rollups_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_execution_rollups")),
        sa.UniqueConstraint("rollup_key", name=op.f("uq_execution_rollups_rollup_key")),
    )
    op.create_index(
        op.f("ix_execution_rollups_project_id_hour"), "execution_rollups", ["project_id", "hour"]
    )
    rebuild_rollups(op.get_bind())


def downgrade() -> None:
    op.drop_index(op.f("ix_execution_rollups_project_id_hour"), table_name="execution_rollups")
    op.drop_table("execution_rollups")
    op.drop_index(op.f("ix_activity_rollups_project_id_hour"), table_name="activity_rollups")
    op.drop_table("activity_rollups")
    with op.batch_alter_table("activity_executions") as batch_op:
        batch_op.drop_column("worker_id")
