"""Activity attempts (one row per attempt) and their running statistics.

Workers buffer attempts and write them in batches: one multi-row insert, then the batch's totals per
(component, workflow) upserted into ``activity_statistics``, added to the project counters and folded into the
hourly ``activity_rollups``, all in the caller's transaction, so statistics never disagree with the rows they
summarise. The statements are built once
and run with many parameter sets: building a statement costs more than running it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from wfb_jupyter.storage._prepared import PreparedWrite, one_round_trip
from wfb_jupyter.storage._types import utc_now
from wfb_jupyter.storage.orm import (
    ActivityAttemptRecord,
    ActivityStatistics,
    ExecutionRecord,
    Project,
)
from wfb_jupyter.storage.repository.rollup_fold import fold_attempts
from wfb_jupyter.storage.repository.rollups import add_to_activity_rollups

SUCCESS = "completed"
_IN_LIST_CHUNK = 400


@dataclass(frozen=True)
class ActivityAttempt:
    """One attempt to record. ``duration_ms`` is computed from the timestamps when not given."""

    project_id: str
    temporal_workflow_id: str
    temporal_run_id: str
    step_id: str
    component: str
    status: str
    started_at: datetime
    attempt: int = 1
    workflow_id: int | None = None
    scheduled_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None
    error: str | None = None
    error_type: str | None = None
    activity_id: str | None = None
    # The version of the run it belongs to (its workflow type says it); looked up from the run's execution row
    # when not given. Rollups group by it; the attempt row itself does not keep it.
    version: int | None = None
    worker_id: int | None = None  # the workflow_workers row of the worker that ran it

    def as_row(self) -> dict[str, Any]:
        row = {name: getattr(self, name) for name in _ATTEMPT_FIELDS}  # asdict would deep-copy
        if row["duration_ms"] is None and self.finished_at is not None:
            elapsed = (self.finished_at - self.started_at).total_seconds()
            row["duration_ms"] = max(0, round(elapsed * 1000))
        return row


_ATTEMPT_FIELDS = tuple(field.name for field in fields(ActivityAttempt))
_STORED_FIELDS = tuple(name for name in _ATTEMPT_FIELDS if name != "version")


@dataclass
class _Totals:
    attempts: int = 0
    successes: int = 0
    retries: int = 0
    total_ms: int = 0
    min_ms: int | None = None
    max_ms: int | None = None
    last_started_at: datetime | None = None

    def add(self, row: dict[str, Any]) -> None:
        self.attempts += 1
        self.successes += row["status"] == SUCCESS
        self.retries += row["attempt"] > 1
        duration = row["duration_ms"]
        if duration is not None:
            self.total_ms += duration
            self.min_ms = duration if self.min_ms is None else min(self.min_ms, duration)
            self.max_ms = duration if self.max_ms is None else max(self.max_ms, duration)
        started = row["started_at"]
        if self.last_started_at is None or started > self.last_started_at:
            self.last_started_at = started


def record_activity_attempts(
    session: Session, attempts: Iterable[ActivityAttempt | Mapping[str, Any]]
) -> int:
    """Insert a batch of attempts and fold them into the statistics and rollups; returns how many were
    recorded.

    Each attempt is an ``ActivityAttempt`` or a mapping of its fields. ``status == "completed"`` counts as
    a success, anything else as a failure; an attempt number above 1 counts as a retry.
    """
    rows = [
        (attempt if isinstance(attempt, ActivityAttempt) else ActivityAttempt(**attempt)).as_row()
        for attempt in attempts
    ]
    if not rows:
        return 0
    connection = session.connection()
    # Before the writes are pipelined: a Core query cannot run inside a pipeline (its result is not there
    # until the pipeline syncs).
    _fill_in_versions(connection, rows)
    # The writes go to the server together, rollups included, and the rollups' read (fetch_all) is the one
    # wait for results before the end (in process on SQLite, so nothing to save there).
    with one_round_trip(connection):
        _INSERT_ATTEMPTS.execute(connection, rows)
        totals: dict[tuple[str, str, int | None], _Totals] = {}
        for row in rows:
            for workflow_key in (None, row["workflow_id"]) if row["workflow_id"] else (None,):
                key = (row["project_id"], row["component"], workflow_key)
                totals.setdefault(key, _Totals()).add(row)
        # Sorted, so that concurrent writers take row locks in the same order and cannot deadlock.
        statistics = [
            _statistics_values(project_id, component, workflow_id, total)
            for (project_id, component, workflow_id), total in sorted(totals.items(), key=_sort_key)
        ]
        dialect = connection.dialect.name
        if dialect in ("sqlite", "postgresql"):
            for per_workflow in (False, True):
                batch = [v for v in statistics if (v["workflow_id"] is not None) == per_workflow]
                if batch:
                    _statistics_upsert(dialect, per_workflow).execute(connection, batch)
        else:
            for values in statistics:
                _merge_statistics_portably(session, values)
        counters: dict[str, list[int]] = {}
        for row in rows:
            counter = counters.setdefault(row["project_id"], [0, 0])
            counter[0] += 1
            counter[1] += row["status"] != SUCCESS
        _COUNT_PROJECT_ATTEMPTS.execute(
            connection,
            [
                {"project": project_id, "attempts": attempts, "failures": failures}
                for project_id, (attempts, failures) in sorted(counters.items())
            ],
        )
        # After the counters: their row locks are what serialises the writers of these projects' rollups.
        add_to_activity_rollups(connection, fold_attempts(rows))
    return len(rows)


def _fill_in_versions(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Give attempts recorded without a version their run's (a worker always gives it)."""
    unknown = [row for row in rows if row["version"] is None and row["workflow_id"] is not None]
    if not unknown:
        return
    versions = versions_of_runs(
        connection, [(row["temporal_workflow_id"], row["temporal_run_id"]) for row in unknown]
    )
    for row in unknown:
        row["version"] = versions.get((row["temporal_workflow_id"], row["temporal_run_id"]))


def versions_of_runs(
    connection: Connection, runs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """The version each run (Temporal workflow id, run id) has in ``workflow_executions``, where it has a row."""
    executions = cast(Table, ExecutionRecord.__table__)
    wanted = set(runs)
    workflow_ids = sorted({workflow_id for workflow_id, _ in wanted})
    found: dict[tuple[str, str], int] = {}
    for start in range(0, len(workflow_ids), _IN_LIST_CHUNK):
        rows = connection.execute(
            select(
                executions.c.temporal_workflow_id,
                executions.c.temporal_run_id,
                executions.c.version,
            ).where(
                executions.c.temporal_workflow_id.in_(workflow_ids[start : start + _IN_LIST_CHUNK])
            )
        )
        for workflow_id, run_id, version in rows:
            if (workflow_id, run_id) in wanted:
                found[(workflow_id, run_id)] = version
    return found


_attempts = cast(Table, ActivityAttemptRecord.__table__)
_statistics = cast(Table, ActivityStatistics.__table__)
_projects = cast(Table, Project.__table__)
_INSERT_ATTEMPTS = PreparedWrite(insert(_attempts), _STORED_FIELDS)
_COUNT_PROJECT_ATTEMPTS = PreparedWrite(
    update(_projects)
    .where(_projects.c.id == bindparam("project"))
    .values(
        activity_attempt_count=_projects.c.activity_attempt_count + bindparam("attempts"),
        activity_failure_count=_projects.c.activity_failure_count + bindparam("failures"),
    )
)


def _sort_key(item: tuple[tuple[str, str, int | None], _Totals]) -> tuple[str, str, int]:
    (project_id, component, workflow_id), _ = item
    return project_id, component, workflow_id or 0


def _statistics_values(
    project_id: str, component: str, workflow_id: int | None, total: _Totals
) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "component": component,
        "workflow_id": workflow_id,
        "attempt_count": total.attempts,
        "success_count": total.successes,
        "failure_count": total.attempts - total.successes,
        "retry_count": total.retries,
        "total_duration_ms": total.total_ms,
        "min_duration_ms": total.min_ms,
        "max_duration_ms": total.max_ms,
        "last_started_at": total.last_started_at,
        "updated_at": utc_now(),
    }


@functools.cache
def _statistics_upsert(dialect: str, per_workflow: bool) -> PreparedWrite:
    """INSERT ... ON CONFLICT that adds a batch's totals to a statistics row; built once, run per batch.

    Two partial unique indexes cover the rows: per component (``workflow_id`` NULL) and per component and
    workflow, so each needs its own conflict target.
    """
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_statistics)
    new = statement.excluded
    smaller = func.least if dialect == "postgresql" else func.min
    larger = func.greatest if dialect == "postgresql" else func.max

    def combine(pick: Any, column: str) -> ColumnElement[Any]:
        # Either side may be NULL (no timed attempt yet); COALESCE keeps the other side then.
        mine, theirs = _statistics.c[column], new[column]
        combined: ColumnElement[Any] = pick(
            func.coalesce(mine, theirs), func.coalesce(theirs, mine)
        )
        return combined

    workflow_column = _statistics.c.workflow_id
    upsert = statement.on_conflict_do_update(
        index_elements=["project_id", "component"] + (["workflow_id"] if per_workflow else []),
        index_where=workflow_column.is_not(None) if per_workflow else workflow_column.is_(None),
        set_={
            **{
                name: _statistics.c[name] + new[name]
                for name in (
                    "attempt_count",
                    "success_count",
                    "failure_count",
                    "retry_count",
                    "total_duration_ms",
                )
            },
            "min_duration_ms": combine(smaller, "min_duration_ms"),
            "max_duration_ms": combine(larger, "max_duration_ms"),
            "last_started_at": combine(larger, "last_started_at"),
            "updated_at": new.updated_at,
        },
    )
    return PreparedWrite(upsert, _STATISTICS_COLUMNS)


_STATISTICS_COLUMNS = (
    "project_id",
    "component",
    "workflow_id",
    "attempt_count",
    "success_count",
    "failure_count",
    "retry_count",
    "total_duration_ms",
    "min_duration_ms",
    "max_duration_ms",
    "last_started_at",
    "updated_at",
)


def _merge_statistics_portably(session: Session, values: dict[str, Any]) -> None:
    row = session.scalars(
        select(ActivityStatistics)
        .where(
            ActivityStatistics.project_id == values["project_id"],
            ActivityStatistics.component == values["component"],
            ActivityStatistics.workflow_id.is_(None)
            if values["workflow_id"] is None
            else ActivityStatistics.workflow_id == values["workflow_id"],
        )
        .with_for_update()
    ).one_or_none()
    if row is None:
        session.add(ActivityStatistics(**values))
        return
    for name in ("attempt_count", "success_count", "failure_count", "retry_count"):
        setattr(row, name, getattr(row, name) + values[name])
    row.total_duration_ms += values["total_duration_ms"]
    row.min_duration_ms = min(
        (v for v in (row.min_duration_ms, values["min_duration_ms"]) if v is not None), default=None
    )
    row.max_duration_ms = max(
        (v for v in (row.max_duration_ms, values["max_duration_ms"]) if v is not None), default=None
    )
    row.last_started_at = max(
        (v for v in (row.last_started_at, values["last_started_at"]) if v is not None), default=None
    )


def get_activity_statistics(
    session: Session,
    project_id: str,
    *,
    component: str | None = None,
    workflow_id: int | None = None,
    per_workflow: bool = False,
) -> list[ActivityStatistics]:
    """Statistics rows of a project: per component (default), or per component and workflow."""
    statement = select(ActivityStatistics).where(ActivityStatistics.project_id == project_id)
    if component is not None:
        statement = statement.where(ActivityStatistics.component == component)
    if workflow_id is not None:
        statement = statement.where(ActivityStatistics.workflow_id == workflow_id)
    elif not per_workflow:
        statement = statement.where(ActivityStatistics.workflow_id.is_(None))
    else:
        statement = statement.where(ActivityStatistics.workflow_id.is_not(None))
    statement = statement.order_by(ActivityStatistics.component, ActivityStatistics.workflow_id)
    return list(session.scalars(statement))


def list_activity_attempts(
    session: Session, temporal_workflow_id: str, temporal_run_id: str | None = None
) -> list[ActivityAttemptRecord]:
    """The attempts of one run (or of every run of a workflow id), in the order they started."""
    statement = select(ActivityAttemptRecord).where(
        ActivityAttemptRecord.temporal_workflow_id == temporal_workflow_id
    )
    if temporal_run_id is not None:
        statement = statement.where(ActivityAttemptRecord.temporal_run_id == temporal_run_id)
    statement = statement.order_by(
        ActivityAttemptRecord.started_at,
        ActivityAttemptRecord.step_id,
        ActivityAttemptRecord.attempt,
    )
    return list(session.scalars(statement))
