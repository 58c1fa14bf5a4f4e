"""The database schema as typed declarative models.

Id choices: users and projects have readable string ids (slugs, ``alice`` and ``etl``) so that the task queue
``{user_id}-{project_id}`` reads well in the Temporal UI; every other table uses an integer surrogate key.
Timestamps are timezone-aware UTC; documents (inputs, results, manifests) are JSON; code is TEXT.
Every change to these classes needs a migration in ``migrations/versions``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from wfb_jupyter.storage._types import Id, UTCDateTime, utc_now

# Constraint names are part of the schema: migrations refer to them, so they must not depend on the backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

WORKER_MODES = ("in-kernel", "sidecar")
# ``draining``: told to stop, it polls no more and lets the activities it runs finish.
WORKER_STATUSES = ("starting", "running", "draining", "stopped", "error", "stale")
OPEN_EXECUTION_STATUSES = ("running",)
CLOSED_EXECUTION_STATUSES = ("completed", "failed", "cancelled", "terminated", "timed_out")
# A run the Temporal server no longer knows (its state was deleted, or the server is gone): how it ended and
# how long it took are unknown, so it has neither, and statistics leave it out.
LOST_EXECUTION_STATUS = "lost"
FINAL_EXECUTION_STATUSES = (*CLOSED_EXECUTION_STATUSES, LOST_EXECUTION_STATUS)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


def _created_at() -> Mapped[datetime]:
    return mapped_column(default=utc_now)


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = _created_at()

    projects: Mapped[list[Project]] = relationship(back_populates="user", lazy="raise")


class Project(Base):
    """A user's project: its workflows share one task queue and one worker. Counters are project statistics."""

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    task_queue: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = _created_at()
    execution_count: Mapped[int] = mapped_column(BigInteger, default=0)
    execution_success_count: Mapped[int] = mapped_column(BigInteger, default=0)
    execution_failure_count: Mapped[int] = mapped_column(BigInteger, default=0)
    activity_attempt_count: Mapped[int] = mapped_column(BigInteger, default=0)
    activity_failure_count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_execution_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="projects", lazy="raise")


class Workflow(Base):
    __tablename__ = "workflows"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class Component(Base):
    """One version of a user component: its source and imports, so any worker can rebuild it."""

    __tablename__ = "components"
    __table_args__ = (
        UniqueConstraint("project_id", "name", "version"),
        Index(None, "project_id", "name", "checksum"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    function: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    imports: Mapped[list[Any]] = mapped_column(default=list)
    requirements: Mapped[list[Any]] = mapped_column(default=list)
    parameters: Mapped[list[Any]] = mapped_column(default=list)
    is_async: Mapped[bool] = mapped_column(Boolean, default=False)
    checksum: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _created_at()


class CompiledCode(Base):
    """One immutable compiled version of a workflow. Exactly one version per workflow is active."""

    __tablename__ = "workflow_compiled_code"
    __table_args__ = (
        UniqueConstraint("workflow_id", "version"),
        Index(None, "workflow_id", "checksum"),
        # At most one active version per workflow; both SQLite and PostgreSQL support partial indexes.
        Index(
            "uq_workflow_compiled_code_one_active",
            "workflow_id",
            unique=True,
            sqlite_where=text("is_active"),
            postgresql_where=text("is_active"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(128))
    build_id: Mapped[str] = mapped_column(String(128))
    workflow_type: Mapped[str] = mapped_column(String(300))
    workflow_class: Mapped[str] = mapped_column(String(300))
    module_name: Mapped[str] = mapped_column(String(300))
    workflow_code: Mapped[str] = mapped_column(Text)
    activities_code: Mapped[str] = mapped_column(Text)
    worker_code: Mapped[str] = mapped_column(Text)
    requirements: Mapped[str] = mapped_column(Text)
    manifest: Mapped[dict[str, Any]] = mapped_column(default=dict)
    definition_source: Mapped[str] = mapped_column(Text, default="")
    compiler_version: Mapped[str] = mapped_column(String(64), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = _created_at()
    # When it was last made active (None: never); a rollback without a version goes to the latest before now.
    activated_at: Mapped[datetime | None]

    workflow: Mapped[Workflow] = relationship(lazy="raise")


class WorkerRecord(Base):
    """A running (or once running) project worker, in the kernel or as a sidecar process."""

    __tablename__ = "workflow_workers"
    __table_args__ = (
        Index(None, "project_id", "status"),
        Index(None, "status", "last_heartbeat_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    task_queue: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(20))
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="starting")
    error: Mapped[str | None] = mapped_column(Text)
    loaded_versions: Mapped[list[Any]] = mapped_column(default=list)
    started_at: Mapped[datetime] = _created_at()
    last_heartbeat_at: Mapped[datetime] = mapped_column(default=utc_now)
    stopped_at: Mapped[datetime | None]


class ExecutionRecord(Base):
    """One workflow run as Temporal knows it (workflow id + run id), created on start and updated on close."""

    __tablename__ = "workflow_executions"
    __table_args__ = (
        UniqueConstraint("temporal_workflow_id", "temporal_run_id"),
        Index(None, "workflow_id", "version", "status", "started_at"),
        Index(None, "status", "workflow_id"),
        Index(None, "started_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    temporal_workflow_id: Mapped[str] = mapped_column(String(300))
    temporal_run_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="running")
    input: Mapped[Any | None] = mapped_column(JSON)
    result: Mapped[Any | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = _created_at()
    closed_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    # The Temporal schedule that started the run (None: started by hand).
    schedule_id: Mapped[str | None] = mapped_column(String(300), index=True)
    # A re-run (a reset of an earlier run of the same workflow id): that run's row and the step it started from.
    rerun_of: Mapped[int | None] = mapped_column(
        ForeignKey("workflow_executions.id", ondelete="SET NULL")
    )
    from_step: Mapped[str | None] = mapped_column(String(200))


class ScheduleRecord(Base):
    """A workflow's Temporal schedule, as last set from here: when it fires, with which input, on which
    version. Temporal stays the source of truth for what fires next; this row lets schedules be listed and
    moved to a newly active version without scanning Temporal."""

    __tablename__ = "workflow_schedules"
    __table_args__ = (Index(None, "project_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # One schedule per workflow: creating it again replaces it.
    workflow_id: Mapped[int] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"), unique=True
    )
    schedule_id: Mapped[str] = mapped_column(String(300), unique=True)
    every: Mapped[str | None] = mapped_column(String(50))  # an interval as typed: 15m, 1h30m
    cron: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str | None] = mapped_column(String(100))
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # None: the schedule follows the active version; a number pins it to that version.
    pinned_version: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)  # the version its runs start on now
    overlap: Mapped[str] = mapped_column(String(20), default="skip")
    catchup_window_seconds: Mapped[int | None] = mapped_column(BigInteger)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why it does not follow the active version (its inputs do not fit it), shown where schedules are listed.
    problem: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class ActivityAttemptRecord(Base):
    """One attempt of one activity. No foreign key to the execution: the activity worker may record an attempt
    before (or without) the execution row, so it refers to the run by its Temporal ids."""

    __tablename__ = "activity_executions"
    __table_args__ = (
        Index(None, "component", "started_at"),
        Index(None, "temporal_workflow_id", "temporal_run_id"),
        Index(None, "project_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    workflow_id: Mapped[int | None] = mapped_column(ForeignKey("workflows.id", ondelete="SET NULL"))
    temporal_workflow_id: Mapped[str] = mapped_column(String(300))
    temporal_run_id: Mapped[str] = mapped_column(String(100))
    step_id: Mapped[str] = mapped_column(String(200))
    component: Mapped[str] = mapped_column(String(200))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20))
    scheduled_at: Mapped[datetime | None]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    error_type: Mapped[str | None] = mapped_column(String(200))
    # The activity id the workflow gave: the step, with ``[i]`` per for_each iteration and ``#n`` per rerun.
    activity_id: Mapped[str | None] = mapped_column(String(300))
    # The ``workflow_workers`` row of the worker that ran it. No foreign key: adding one would rebuild the
    # table on SQLite, and worker rows are never deleted.
    worker_id: Mapped[int | None] = mapped_column(BigInteger)


class ActivityStatistics(Base):
    """Running aggregates of activity attempts: one row per (project, component) with ``workflow_id`` NULL,
    and one per (project, component, workflow)."""

    __tablename__ = "activity_statistics"
    __table_args__ = (
        Index(
            "uq_activity_statistics_component",
            "project_id",
            "component",
            unique=True,
            sqlite_where=text("workflow_id IS NULL"),
            postgresql_where=text("workflow_id IS NULL"),
        ),
        Index(
            "uq_activity_statistics_component_workflow",
            "project_id",
            "component",
            "workflow_id",
            unique=True,
            sqlite_where=text("workflow_id IS NOT NULL"),
            postgresql_where=text("workflow_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    workflow_id: Mapped[int | None] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    component: Mapped[str] = mapped_column(String(200))
    attempt_count: Mapped[int] = mapped_column(BigInteger, default=0)
    success_count: Mapped[int] = mapped_column(BigInteger, default=0)
    failure_count: Mapped[int] = mapped_column(BigInteger, default=0)
    retry_count: Mapped[int] = mapped_column(BigInteger, default=0)
    total_duration_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    min_duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    max_duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    last_started_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    @property
    def average_duration_ms(self) -> float | None:
        timed = self.attempt_count
        return self.total_duration_ms / timed if timed else None


class StoredPayload(Base):
    """A value passed between steps that was too large for the Temporal history, kept here instead (a claim
    check; the history holds its key). The key is the SHA-256 of its bytes, so a value sent twice is stored once.
    The bytes are in ``payload_chunks`` when ``location`` is ``database``, else in the folder it names."""

    __tablename__ = "payloads"
    __table_args__ = (Index(None, "last_used_at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(300))  # what it holds, as references show it
    location: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = _created_at()
    last_used_at: Mapped[datetime] = mapped_column(default=utc_now)


class PayloadChunk(Base):
    """A stored payload's bytes, in parts: neither SQLite (1 GB) nor PostgreSQL (bytea) takes one huge value
    well, and parts keep each row's memory small."""

    __tablename__ = "payload_chunks"

    key: Mapped[str] = mapped_column(
        ForeignKey("payloads.key", ondelete="CASCADE"), primary_key=True
    )
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class PayloadUse(Base):
    """Which workflow execution (by Temporal workflow id) passed a stored payload: retention keeps a payload
    while any of them is open or recently closed."""

    __tablename__ = "payload_uses"
    __table_args__ = (Index(None, "temporal_workflow_id"),)

    key: Mapped[str] = mapped_column(
        ForeignKey("payloads.key", ondelete="CASCADE"), primary_key=True
    )
    temporal_workflow_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    created_at: Mapped[datetime] = _created_at()
