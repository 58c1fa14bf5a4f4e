"""Aggregated views: counts, success rates and duration percentiles per group (and per time bucket),
computed by one GROUP BY over ranked rows in the database."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from wfb_jupyter.statistics._frames import to_frame
from wfb_jupyter.statistics._sql import (
    CLOSED,
    PERCENTILES,
    SUCCESS,
    attempts_from,
    attempts_query,
    bucket_expression,
    count_where,
    duration_aggregates,
    grouped,
    ranked,
    statuses,
    time_window,
)
from wfb_jupyter.storage import ActivityAttemptRecord, ExecutionRecord, Workflow
from wfb_jupyter.storage.orm import LOST_EXECUTION_STATUS

DURATION_COLUMNS = ("mean_ms", *(f"p{percent}_ms" for percent in PERCENTILES), "max_ms")
EXECUTION_SUMMARY_COLUMNS = (
    "executions",
    "completed",
    "failed",
    "running",
    "success_rate",
    *DURATION_COLUMNS,
)
ACTIVITY_SUMMARY_COLUMNS = (
    "attempts",
    "successes",
    "failures",
    "retries",
    "success_rate",
    *DURATION_COLUMNS,
)


def _closed_success_rate(frame: pd.DataFrame) -> pd.Series:
    """Completed among closed runs; none closed yet gives no rate rather than 0 %."""
    closed = frame["completed"] + frame["failed"]
    return frame["completed"] / closed.where(closed > 0)


def _execution_keys() -> dict[str, Any]:
    return {
        "workflow": Workflow.name,
        "version": ExecutionRecord.version,
        "status": ExecutionRecord.status,
    }


def _activity_keys() -> dict[str, Any]:
    attempt = ActivityAttemptRecord
    return {
        "component": attempt.component,
        "workflow": Workflow.name,
        "version": ExecutionRecord.version,
        "step": attempt.step_id,
        "status": attempt.status,
        "error_type": attempt.error_type,
    }


def _choose_keys(by: Sequence[str] | str, available: dict[str, Any]) -> dict[str, Any]:
    names = (by,) if isinstance(by, str) else tuple(by)
    unknown = [name for name in names if name not in available]
    if unknown:
        raise ValueError(f"cannot group by {unknown}: choose from {tuple(available)}")
    if len(set(names)) != len(names):
        raise ValueError(f"group keys repeat: {names}")
    return {name: available[name] for name in names}


def execution_summary(
    session: Session,
    project_id: str,
    by: Sequence[str] | str = ("workflow", "version"),
    *,
    bucket: str | None = None,
    workflow: str | None = None,
    version: int | None = None,
    status: str | Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> pd.DataFrame:
    """Per group (``by``: workflow, version, status; plus ``bucket`` of ``started_at`` when given): how many
    executions, how they ended, the success rate among closed ones, and duration statistics of closed ones."""
    run = ExecutionRecord
    keys = _choose_keys(by, _execution_keys())
    if bucket is not None:
        keys["bucket"] = bucket_expression(session, run.started_at, bucket)
    base = (
        select()
        .select_from(run)
        .join(Workflow, Workflow.id == run.workflow_id)
        .where(
            Workflow.project_id == project_id,
            # A lost run has no outcome and no duration: counting it would skew every figure.
            run.status != LOST_EXECUTION_STATUS,
            *time_window(run.started_at, since, until),
        )
    )
    if workflow is not None:
        base = base.where(Workflow.name == workflow)
    if version is not None:
        base = base.where(run.version == version)
    wanted = statuses(status)
    if wanted is not None:
        base = base.where(run.status.in_(wanted))
    rows = ranked(base, keys, run.duration_ms, {"outcome": run.status})
    outcome = rows.c.outcome
    statement = grouped(
        rows,
        keys,
        [
            count_where(outcome.is_not(None)).label("executions"),
            count_where(outcome == SUCCESS).label("completed"),
            count_where(outcome.in_([s for s in CLOSED if s != SUCCESS])).label("failed"),
            count_where(outcome.not_in(CLOSED)).label("running"),
            *duration_aggregates(rows),
        ],
    )
    return _finish(
        session, statement, keys, EXECUTION_SUMMARY_COLUMNS, "executions", _closed_success_rate
    )


def activity_summary(
    session: Session,
    project_id: str,
    by: Sequence[str] | str = ("component",),
    *,
    bucket: str | None = None,
    component: str | None = None,
    workflow: str | None = None,
    version: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> pd.DataFrame:
    """Per group (``by``: component, workflow, version, step, status, error_type; ``()`` for one overall row;
    plus ``bucket`` of ``started_at`` when given): attempts, successes, failures, retries (attempts after
    the first), the success rate, and duration statistics."""
    attempt = ActivityAttemptRecord
    keys = _choose_keys(by, _activity_keys())
    if bucket is not None:
        keys["bucket"] = bucket_expression(session, attempt.started_at, bucket)
    clauses, needs_executions = attempts_query(
        project_id,
        component=component,
        workflow=workflow,
        version=version,
        since=since,
        until=until,
    )
    base = attempts_from(select(), with_executions=needs_executions or "version" in keys)
    rows = ranked(
        base.where(*clauses),
        keys,
        attempt.duration_ms,
        {"outcome": attempt.status, "attempt_number": attempt.attempt},
    )
    statement = grouped(
        rows,
        keys,
        [
            count_where(rows.c.outcome.is_not(None)).label("attempts"),
            count_where(rows.c.outcome == SUCCESS).label("successes"),
            count_where(rows.c.outcome != SUCCESS).label("failures"),
            count_where(rows.c.attempt_number > 1).label("retries"),
            *duration_aggregates(rows),
        ],
    )
    return _finish(
        session,
        statement,
        keys,
        ACTIVITY_SUMMARY_COLUMNS,
        "attempts",
        lambda frame: frame["successes"] / frame["attempts"],
    )


def _finish(
    session: Session,
    statement: Any,
    keys: dict[str, Any],
    metrics: Sequence[str],
    count_column: str,
    success_rate: Callable[[pd.DataFrame], pd.Series],
) -> pd.DataFrame:
    """Run the aggregate query; give the frame stable dtypes, one row order on every backend, and its
    success rate (a ratio of two aggregated columns, so computing it here costs nothing)."""
    names = list(keys)
    aggregated = [name for name in metrics if name != "success_rate"]
    frame = to_frame(session.execute(statement).all(), [*names, *aggregated])
    # Without group keys an empty table still yields one all-zero row; no rows is the honest answer.
    frame = frame[frame[count_column] > 0]
    for name in aggregated:
        if name in DURATION_COLUMNS:
            if (
                name != "max_ms"
            ):  # max_ms stays a (nullable) integer, like the durations it comes from
                frame[name] = frame[name].astype("Float64")
        else:
            frame[name] = frame[name].astype("int64")
    # NULL keys sort first on SQLite and last on PostgreSQL; sorting here gives one order everywhere.
    if names:
        frame = frame.sort_values(names, na_position="last", kind="stable")
    frame = frame.reset_index(drop=True)
    frame["success_rate"] = success_rate(frame).astype("Float64")
    return frame[[*names, *metrics]]
