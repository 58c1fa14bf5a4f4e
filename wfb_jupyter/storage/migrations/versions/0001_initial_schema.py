"""Initial schema: users, projects, workflows, components, compiled code, workers, executions, activities.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 15:32:19.278905
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("task_queue", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("execution_count", sa.BigInteger(), nullable=False),
        sa.Column("execution_success_count", sa.BigInteger(), nullable=False),
        sa.Column("execution_failure_count", sa.BigInteger(), nullable=False),
        sa.Column("activity_attempt_count", sa.BigInteger(), nullable=False),
        sa.Column("activity_failure_count", sa.BigInteger(), nullable=False),
        sa.Column("last_execution_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_projects_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("task_queue", name=op.f("uq_projects_task_queue")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_projects_user_id_name")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projects_user_id"), ["user_id"], unique=False)

    op.create_table(
        "components",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("function", sa.String(length=200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("imports", sa.JSON(), nullable=False),
        sa.Column("requirements", sa.JSON(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("is_async", sa.Boolean(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_components_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_components")),
        sa.UniqueConstraint(
            "project_id", "name", "version", name=op.f("uq_components_project_id_name_version")
        ),
    )
    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_components_project_id_name_checksum"),
            ["project_id", "name", "checksum"],
            unique=False,
        )

    op.create_table(
        "workflow_workers",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("task_queue", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("loaded_versions", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_workflow_workers_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_workers")),
    )
    with op.batch_alter_table("workflow_workers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_workers_project_id_status"),
            ["project_id", "status"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_workflow_workers_status_last_heartbeat_at"),
            ["status", "last_heartbeat_at"],
            unique=False,
        )

    op.create_table(
        "workflows",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_workflows_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflows")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_workflows_project_id_name")),
    )
    op.create_table(
        "activity_executions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column(
            "workflow_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("temporal_workflow_id", sa.String(length=300), nullable=False),
        sa.Column("temporal_run_id", sa.String(length=100), nullable=False),
        sa.Column("step_id", sa.String(length=200), nullable=False),
        sa.Column("component", sa.String(length=200), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_activity_executions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_activity_executions_workflow_id_workflows"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_executions")),
    )
    with op.batch_alter_table("activity_executions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activity_executions_component_started_at"),
            ["component", "started_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_activity_executions_project_id_started_at"),
            ["project_id", "started_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_activity_executions_temporal_workflow_id_temporal_run_id"),
            ["temporal_workflow_id", "temporal_run_id"],
            unique=False,
        )

    op.create_table(
        "activity_statistics",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column(
            "workflow_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("component", sa.String(length=200), nullable=False),
        sa.Column("attempt_count", sa.BigInteger(), nullable=False),
        sa.Column("success_count", sa.BigInteger(), nullable=False),
        sa.Column("failure_count", sa.BigInteger(), nullable=False),
        sa.Column("retry_count", sa.BigInteger(), nullable=False),
        sa.Column("total_duration_ms", sa.BigInteger(), nullable=False),
        sa.Column("min_duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("max_duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_activity_statistics_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_activity_statistics_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_statistics")),
    )
    with op.batch_alter_table("activity_statistics", schema=None) as batch_op:
        batch_op.create_index(
            "uq_activity_statistics_component",
            ["project_id", "component"],
            unique=True,
            sqlite_where=sa.text("workflow_id IS NULL"),
            postgresql_where=sa.text("workflow_id IS NULL"),
        )
        batch_op.create_index(
            "uq_activity_statistics_component_workflow",
            ["project_id", "component", "workflow_id"],
            unique=True,
            sqlite_where=sa.text("workflow_id IS NOT NULL"),
            postgresql_where=sa.text("workflow_id IS NOT NULL"),
        )

    op.create_table(
        "workflow_compiled_code",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workflow_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(length=128), nullable=False),
        sa.Column("build_id", sa.String(length=128), nullable=False),
        sa.Column("workflow_type", sa.String(length=300), nullable=False),
        sa.Column("workflow_class", sa.String(length=300), nullable=False),
        sa.Column("module_name", sa.String(length=300), nullable=False),
        sa.Column("workflow_code", sa.Text(), nullable=False),
        sa.Column("activities_code", sa.Text(), nullable=False),
        sa.Column("worker_code", sa.Text(), nullable=False),
        sa.Column("requirements", sa.Text(), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("definition_source", sa.Text(), nullable=False),
        sa.Column("compiler_version", sa.String(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_workflow_compiled_code_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_compiled_code")),
        sa.UniqueConstraint(
            "workflow_id", "version", name=op.f("uq_workflow_compiled_code_workflow_id_version")
        ),
    )
    with op.batch_alter_table("workflow_compiled_code", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_compiled_code_workflow_id_checksum"),
            ["workflow_id", "checksum"],
            unique=False,
        )
        batch_op.create_index(
            "uq_workflow_compiled_code_one_active",
            ["workflow_id"],
            unique=True,
            sqlite_where=sa.text("is_active"),
            postgresql_where=sa.text("is_active"),
        )

    op.create_table(
        "workflow_executions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workflow_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("temporal_workflow_id", sa.String(length=300), nullable=False),
        sa.Column("temporal_run_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("input", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_workflow_executions_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_executions")),
        sa.UniqueConstraint(
            "temporal_workflow_id",
            "temporal_run_id",
            name=op.f("uq_workflow_executions_temporal_workflow_id_temporal_run_id"),
        ),
    )
    with op.batch_alter_table("workflow_executions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_executions_started_at"), ["started_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_workflow_executions_status_workflow_id"),
            ["status", "workflow_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_workflow_executions_workflow_id_version_status_started_at"),
            ["workflow_id", "version", "status", "started_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("workflow_executions", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_workflow_executions_workflow_id_version_status_started_at")
        )
        batch_op.drop_index(batch_op.f("ix_workflow_executions_status_workflow_id"))
        batch_op.drop_index(batch_op.f("ix_workflow_executions_started_at"))

    op.drop_table("workflow_executions")
    with op.batch_alter_table("workflow_compiled_code", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_workflow_compiled_code_one_active",
            sqlite_where=sa.text("is_active"),
            postgresql_where=sa.text("is_active"),
        )
        batch_op.drop_index(batch_op.f("ix_workflow_compiled_code_workflow_id_checksum"))

    op.drop_table("workflow_compiled_code")
    with op.batch_alter_table("activity_statistics", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_activity_statistics_component_workflow",
            sqlite_where=sa.text("workflow_id IS NOT NULL"),
            postgresql_where=sa.text("workflow_id IS NOT NULL"),
        )
        batch_op.drop_index(
            "uq_activity_statistics_component",
            sqlite_where=sa.text("workflow_id IS NULL"),
            postgresql_where=sa.text("workflow_id IS NULL"),
        )

    op.drop_table("activity_statistics")
    with op.batch_alter_table("activity_executions", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_activity_executions_temporal_workflow_id_temporal_run_id")
        )
        batch_op.drop_index(batch_op.f("ix_activity_executions_project_id_started_at"))
        batch_op.drop_index(batch_op.f("ix_activity_executions_component_started_at"))

    op.drop_table("activity_executions")
    op.drop_table("workflows")
    with op.batch_alter_table("workflow_workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_workers_status_last_heartbeat_at"))
        batch_op.drop_index(batch_op.f("ix_workflow_workers_project_id_status"))

    op.drop_table("workflow_workers")
    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_components_project_id_name_checksum"))

    op.drop_table("components")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_user_id"))

    op.drop_table("projects")
    op.drop_table("users")
