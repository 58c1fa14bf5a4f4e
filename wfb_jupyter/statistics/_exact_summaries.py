"""Summaries computed from the raw rows: one GROUP BY over rows ranked by duration, in the database. Exact
percentiles, at a cost that grows with the history; what ``exact=True`` and minute buckets read."""

from __future__ import annotations

from collections.abc import Sequence
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
    attempt_keys,
    attempts_from,
    attempts_query,
    bucket_expression,
    count_where,
    duration_aggregates,
    execution_keys,
    grouped,
    ranked,
    statuses,
    time_window,
)
from wfb_jupyter.statistics._summary_shape import (
    ACTIVITY_COUNTS,
    EXECUTION_COUNTS,
    attempt_success_rate,
    closed_success_rate,
    finish_frame,
    summary_columns,
)
from wfb_jupyter.storage import ActivityAttemptRecord, ExecutionRecord, Workflow
from wfb_jupyter.storage.orm import LOST_EXECUTION_STATUS


def exact_execution_summary(
    session: Session,
    project_id: str,
    by: Sequence[str],
    *,
    bucket: str | None = None,
    workflow: str | None = None,
    version: int | None = None,
    status: str | Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    percentiles: Sequence[int] = PERCENTILES,
) -> pd.DataFrame:
    """``execution_summary`` from the raw rows."""
    run = ExecutionRecord
    keys = {name: execution_keys()[name] for name in by}
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
            *duration_aggregates(rows, percentiles),
        ],
    )
    metrics = summary_columns(EXECUTION_COUNTS, percentiles)
    return _finish(session, statement, keys, metrics, "executions")


def exact_activity_summary(
    session: Session,
    project_id: str,
    by: Sequence[str],
    *,
    bucket: str | None = None,
    component: str | None = None,
    workflow: str | None = None,
    version: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    percentiles: Sequence[int] = PERCENTILES,
) -> pd.DataFrame:
    """``activity_summary`` from the raw rows."""
    attempt = ActivityAttemptRecord
    keys = {name: attempt_keys()[name] for name in by}
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
            *duration_aggregates(rows, percentiles),
        ],
    )
    metrics = summary_columns(ACTIVITY_COUNTS, percentiles)
    return _finish(session, statement, keys, metrics, "attempts")


def _finish(
    session: Session,
    statement: Any,
    keys: dict[str, Any],
    metrics: Sequence[str],
    count_column: str,
) -> pd.DataFrame:
    names = list(keys)
    aggregated = [name for name in metrics if name != "success_rate"]
    frame = to_frame(session.execute(statement).all(), [*names, *aggregated])
    rate = closed_success_rate if count_column == "executions" else attempt_success_rate
    return finish_frame(frame, names, metrics, count_column, rate)
