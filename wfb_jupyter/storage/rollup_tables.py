"""The rollup tables: attempts and closed runs aggregated per hour at write time, which statistics read instead of
the rows themselves (``wfb_jupyter.storage.repository.rollups`` writes them, ``wfb_jupyter.statistics`` reads them). As for
``orm``, every change to these classes needs a migration in ``migrations/versions``.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from wfb_jupyter.storage._types import Id
from wfb_jupyter.storage.orm import Base


class ActivityRollup(Base):
    """Activity attempts aggregated per hour (``hour``: whole hours since 1970-01-01 UTC, the hour the attempt
    started in) and per project, workflow, version, step and component.

    Written in the transaction that records the attempts, so rollups never disagree with them, and kept when old
    attempts are pruned. Summaries and percentiles read these rows rather than the attempts: their duration
    ``histogram`` (``storage._histogram``, every attempt of the row) gives percentiles within
    ``RELATIVE_ERROR``. How failures break down by status and error type is in ``ActivityFailureRollup``, so
    that a row per hour and step holds all its attempts whatever their outcomes.
    """

    __tablename__ = "activity_rollups"
    __table_args__ = (Index(None, "project_id", "hour"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    # A digest of the row's identity (project, hour and every group key). Group keys may be NULL and NULLs
    # never collide in a unique index, so the identity is spelled out in one column that is never NULL.
    rollup_key: Mapped[str] = mapped_column(String(32), unique=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    hour: Mapped[int] = mapped_column(BigInteger)
    workflow_id: Mapped[int | None] = mapped_column(ForeignKey("workflows.id", ondelete="SET NULL"))
    version: Mapped[int | None] = mapped_column(Integer)
    step_id: Mapped[str] = mapped_column(String(200))
    component: Mapped[str] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(BigInteger, default=0)
    successes: Mapped[int] = mapped_column(BigInteger, default=0)
    retries: Mapped[int] = mapped_column(BigInteger, default=0)
    timed: Mapped[int] = mapped_column(BigInteger, default=0)  # attempts with a duration
    duration_sum_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_min_ms: Mapped[int | None] = mapped_column(BigInteger)
    duration_max_ms: Mapped[int | None] = mapped_column(BigInteger)
    # The extremes of the successful attempts alone: the rest of their figures are the row's less its failures'.
    success_min_ms: Mapped[int | None] = mapped_column(BigInteger)
    success_max_ms: Mapped[int | None] = mapped_column(BigInteger)
    histogram: Mapped[bytes] = mapped_column(LargeBinary, default=b"")


class ActivityFailureRollup(Base):
    """The failed (and cancelled) attempts of an ``ActivityRollup`` row, per status and error type, with their
    own durations: what summaries by status or error type read."""

    __tablename__ = "activity_failure_rollups"
    __table_args__ = (Index(None, "project_id", "hour"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    rollup_key: Mapped[str] = mapped_column(String(32), unique=True)  # as in ActivityRollup
    attempt_rollup_key: Mapped[str] = mapped_column(
        String(32)
    )  # the ActivityRollup row it breaks down
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    hour: Mapped[int] = mapped_column(BigInteger)
    workflow_id: Mapped[int | None] = mapped_column(ForeignKey("workflows.id", ondelete="SET NULL"))
    version: Mapped[int | None] = mapped_column(Integer)
    step_id: Mapped[str] = mapped_column(String(200))
    component: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    error_type: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(BigInteger, default=0)
    retries: Mapped[int] = mapped_column(BigInteger, default=0)
    timed: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_sum_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_min_ms: Mapped[int | None] = mapped_column(BigInteger)
    duration_max_ms: Mapped[int | None] = mapped_column(BigInteger)
    histogram: Mapped[bytes] = mapped_column(LargeBinary, default=b"")


class ExecutionRollup(Base):
    """Closed executions aggregated per hour they started in (as ``ActivityRollup.hour``) and per project,
    workflow, version and final status; written in the transaction that records each close. Lost runs are left
    out, as everywhere in statistics; running ones are few and read from ``workflow_executions``."""

    __tablename__ = "execution_rollups"
    __table_args__ = (Index(None, "project_id", "hour"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    rollup_key: Mapped[str] = mapped_column(String(32), unique=True)  # as in ActivityRollup
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    hour: Mapped[int] = mapped_column(BigInteger)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    executions: Mapped[int] = mapped_column(BigInteger, default=0)
    timed: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_sum_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_min_ms: Mapped[int | None] = mapped_column(BigInteger)
    duration_max_ms: Mapped[int | None] = mapped_column(BigInteger)
    histogram: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
