"""Hourly rollups of activity attempts (with their failures by status and error type) and of closed
executions, built here from the records already stored; and the worker that ran each attempt.

Building the rollups reads every stored attempt once (about 10 s per million on SQLite), inside the upgrade's
transaction: a failed upgrade leaves the database as it was. It uses this release's rollup code, which is the
code that will read and extend them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from wfb_jupyter.storage.repository.rollup_rebuild import rebuild_rollups

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_ROLLUPS = ("activity_rollups", "activity_failure_rollups", "execution_rollups")


def _aggregates(*counts: str, extremes: tuple[str, ...] = ()) -> list[Any]:
    return [
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in counts),
        sa.Column("timed", sa.BigInteger(), nullable=False),
        sa.Column("duration_sum_ms", sa.BigInteger(), nullable=False),
        sa.Column("duration_min_ms", sa.BigInteger(), nullable=True),
        sa.Column("duration_max_ms", sa.BigInteger(), nullable=True),
        *(sa.Column(name, sa.BigInteger(), nullable=True) for name in extremes),
        sa.Column("histogram", sa.LargeBinary(), nullable=False),
    ]


def _attempt_keys() -> list[Any]:
    return [
        sa.Column("workflow_id", _ID, nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("step_id", sa.String(length=200), nullable=False),
        sa.Column("component", sa.String(length=200), nullable=False),
    ]


def _references(table: str, workflow: str) -> list[Any]:
    return [
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f(f"fk_{table}_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f(f"fk_{table}_workflow_id_workflows"),
            ondelete=workflow,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("rollup_key", name=op.f(f"uq_{table}_rollup_key")),
    ]


def _identity() -> list[Any]:
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
        *_attempt_keys(),
        *_aggregates(
            "attempts", "successes", "retries", extremes=("success_min_ms", "success_max_ms")
        ),
        *_references("activity_rollups", "SET NULL"),
    )
    op.create_table(
        "activity_failure_rollups",
        *_identity(),
        sa.Column("attempt_rollup_key", sa.String(length=32), nullable=False),
        *_attempt_keys(),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error_type", sa.String(length=200), nullable=True),
        *_aggregates("attempts", "retries"),
        *_references("activity_failure_rollups", "SET NULL"),
    )
    op.create_table(
        "execution_rollups",
        *_identity(),
        sa.Column("workflow_id", _ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        *_aggregates("executions"),
        *_references("execution_rollups", "CASCADE"),
    )
    for table in _ROLLUPS:
        op.create_index(op.f(f"ix_{table}_project_id_hour"), table, ["project_id", "hour"])
    rebuild_rollups(op.get_bind())


def downgrade() -> None:
    for table in reversed(_ROLLUPS):
        op.drop_index(op.f(f"ix_{table}_project_id_hour"), table_name=table)
        op.drop_table(table)
    with op.batch_alter_table("activity_executions") as batch_op:
        batch_op.drop_column("worker_id")
