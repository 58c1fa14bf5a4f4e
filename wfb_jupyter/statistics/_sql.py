"""SQL building blocks that read the same on SQLite and PostgreSQL: time buckets, filters, and percentiles
computed by the database (ranks from window functions), so only aggregated rows travel to Python."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import ColumnElement, Float, Select, and_, case, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.selectable import Subquery
from typing_extensions import Unpack

from wfb_jupyter.storage import ActivityAttemptRecord, ExecutionRecord, Workflow
from wfb_jupyter.storage.orm import CLOSED_EXECUTION_STATUSES

AnySelect: TypeAlias = Select[Unpack[tuple[Any, ...]]]

SUCCESS = "completed"
CLOSED = CLOSED_EXECUTION_STATUSES
BUCKETS = ("minute", "hour", "day")
PERCENTILES = (50, 95, 99)
# strftime patterns that cut a stored UTC timestamp down to the start of its bucket (SQLite).
_SQLITE_BUCKET_FORMATS = {
    "minute": "%Y-%m-%d %H:%M:00",
    "hour": "%Y-%m-%d %H:00:00",
    "day": "%Y-%m-%d 00:00:00",
}


def bucket_expression(session: Session, column: Any, bucket: str) -> ColumnElement[Any]:
    """The start of the ``bucket`` (minute, hour or day, in UTC) that holds ``column``'s timestamp."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be None or one of {BUCKETS}, not {bucket!r}")
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return func.strftime(_SQLITE_BUCKET_FORMATS[bucket], column)
    if dialect == "postgresql":
        # date_trunc on a timestamptz truncates in the session's time zone; buckets are UTC whatever it is.
        return func.date_trunc(bucket, func.timezone("UTC", column))
    raise ValueError(f"time buckets are supported on SQLite and PostgreSQL, not {dialect}")


def unindexed(session: Session, column: Any) -> Any:
    """``column`` as a term no index may serve, on SQLite (its unary ``+``); as it is elsewhere.

    SQLite plans without statistics (nothing runs ANALYZE), so where two indexes could serve a query it may
    pick the one that reads far more rows; this takes one out of its choice. PostgreSQL keeps statistics."""
    if session.get_bind().dialect.name != "sqlite":
        return column
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def time_window(column: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    """``since`` inclusive, ``until`` exclusive, so consecutive windows never count a row twice."""
    clauses = []
    if since is not None:
        clauses.append(column >= since)
    if until is not None:
        clauses.append(column < until)
    return clauses


def statuses(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(value)


def execution_keys() -> dict[str, Any]:
    """What raw runs can be grouped by, as columns."""
    return {
        "workflow": Workflow.name,
        "version": ExecutionRecord.version,
        "status": ExecutionRecord.status,
    }


def attempt_keys() -> dict[str, Any]:
    """What raw attempts can be grouped by, as columns (``version``: their run's, joined)."""
    attempt = ActivityAttemptRecord
    return {
        "component": attempt.component,
        "workflow": Workflow.name,
        "version": ExecutionRecord.version,
        "step": attempt.step_id,
        "status": attempt.status,
        "error_type": attempt.error_type,
    }


def attempts_query(
    project_id: str,
    *,
    component: str | None = None,
    workflow: str | None = None,
    execution: tuple[str, str | None] | None = None,
    version: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[Any], bool]:
    """The WHERE clauses for a project's activity attempts, and whether they need the executions joined
    (the version of an attempt is its run's version)."""
    attempt = ActivityAttemptRecord
    clauses: list[Any] = [attempt.project_id == project_id]
    if component is not None:
        clauses.append(attempt.component == component)
    if workflow is not None:
        clauses.append(Workflow.name == workflow)
    if execution is not None:
        temporal_workflow_id, run_id = execution
        clauses.append(attempt.temporal_workflow_id == temporal_workflow_id)
        if run_id is not None:
            clauses.append(attempt.temporal_run_id == run_id)
    if version is not None:
        clauses.append(ExecutionRecord.version == version)
    clauses.extend(time_window(attempt.started_at, since, until))
    return clauses, version is not None


def attempts_from(statement: AnySelect, *, with_executions: bool) -> AnySelect:
    """Attempts joined to their workflow (outer: an attempt may have none) and optionally to their run."""
    attempt = ActivityAttemptRecord
    statement = statement.select_from(attempt).outerjoin(
        Workflow, Workflow.id == attempt.workflow_id
    )
    if with_executions:
        statement = statement.outerjoin(
            ExecutionRecord,
            and_(
                ExecutionRecord.temporal_workflow_id == attempt.temporal_workflow_id,
                ExecutionRecord.temporal_run_id == attempt.temporal_run_id,
            ),
        )
    return statement


def ranked(
    statement: AnySelect,
    keys: Mapping[str, Any],
    duration: Any,
    carried: Mapping[str, Any],
) -> Subquery:
    """Each row with its group keys, the ``carried`` columns, its rank by duration within its group
    (timed rows first, shortest first) and how many rows of its group have a duration."""
    partition = list(keys.values()) or None
    untimed_last = case((duration.is_(None), 1), else_=0)
    return statement.add_columns(
        *(expression.label(name) for name, expression in keys.items()),
        *(expression.label(name) for name, expression in carried.items()),
        duration.label("duration_ms"),
        func.row_number()
        .over(partition_by=partition, order_by=(untimed_last, duration))
        .label("duration_rank"),
        func.count(duration).over(partition_by=partition).label("timed"),
    ).subquery("ranked")


def percentile(rows: Subquery, percent: int) -> ColumnElement[Any]:
    """The ``percent``-th percentile of ``rows.duration_ms`` per group, interpolated linearly between the
    two closest ranks exactly as ``numpy.percentile`` does by default.

    Position ``(n - 1) * percent / 100`` is split into whole and fractional parts in integer arithmetic,
    which truncates the same way on both backends (positions are never negative).
    """
    timed, rank, duration = rows.c.timed, rows.c.duration_rank, rows.c.duration_ms
    scaled = (timed - 1) * percent
    lower = scaled // 100 + 1
    fraction = (scaled % 100) / 100.0
    weighted = case(
        (and_(timed > 0, rank == lower), duration * (1.0 - fraction)),
        (and_(timed > 0, rank == lower + 1, rank <= timed), duration * fraction),
    )
    # Rows outside the two ranks give NULL, which SUM skips; a group without a timed row sums to NULL.
    return cast(func.sum(weighted), Float)


def duration_aggregates(
    rows: Subquery, percentiles: Sequence[int] = PERCENTILES
) -> list[ColumnElement[Any]]:
    duration = rows.c.duration_ms
    return [
        cast(func.avg(duration), Float).label("mean_ms"),
        *(percentile(rows, percent).label(f"p{percent}_ms") for percent in percentiles),
        func.max(duration).label("max_ms"),
    ]


def count_where(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def grouped(
    rows: Subquery, keys: Iterable[str], aggregates: Iterable[ColumnElement[Any]]
) -> AnySelect:
    """One row per group of ``keys``, ordered by the keys so results are deterministic."""
    key_columns = [rows.c[name] for name in keys]
    statement = select(*key_columns, *aggregates)
    if key_columns:
        statement = statement.group_by(*key_columns).order_by(*key_columns)
    return statement
