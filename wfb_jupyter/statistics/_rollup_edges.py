"""The raw rows a summary read from rollups adds: those at the edges of a time window that does not start or end
on the hour, and the runs still open (not rolled up until they close), each shaped as a part of its own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy import case, null, select
from sqlalchemy.orm import Session

from wfb_jupyter.statistics._rollup_parts import hours_of
from wfb_jupyter.statistics._sql import (
    CLOSED,
    SUCCESS,
    attempt_keys,
    attempts_from,
    attempts_query,
    execution_keys,
    time_window,
)
from wfb_jupyter.storage import ActivityAttemptRecord, ExecutionRecord, Workflow


def raw_attempts(
    session: Session,
    project_id: str,
    since: datetime | None,
    until: datetime | None,
    *,
    names: Sequence[str],
    workflow: str | None,
    version: int | None,
    component: str | None,
) -> pd.DataFrame:
    attempt = ActivityAttemptRecord
    keys = {
        **attempt_keys(),
        # As the rollups keep them: a completed attempt has no error type.
        "error_type": case((attempt.status == SUCCESS, null()), else_=attempt.error_type),
    }
    clauses, needs_executions = attempts_query(
        project_id,
        component=component,
        workflow=workflow,
        version=version,
        since=since,
        until=until,
    )
    columns = {
        **{name: keys[name] for name in names},
        "started_at": attempt.started_at,
        "outcome": attempt.status,
        "attempt_number": attempt.attempt,
        "duration_ms": attempt.duration_ms,
    }
    statement = attempts_from(
        select(*columns.values()), with_executions=needs_executions or "version" in names
    ).where(*clauses)
    frame = pd.DataFrame(session.execute(statement).all(), columns=list(columns))
    success = (frame.pop("outcome") == SUCCESS).astype("int64")
    return frame.assign(
        hour=hours_of(frame.pop("started_at")),
        attempts=1,
        successes=success,
        failures=1 - success,
        retries=(frame.pop("attempt_number") > 1).astype("int64"),
    )


def raw_executions(
    session: Session,
    project_id: str,
    names: Sequence[str],
    workflow: str | None,
    version: int | None,
    statuses: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
) -> pd.DataFrame:
    run = ExecutionRecord
    keys = execution_keys()
    columns = {
        **{name: keys[name] for name in names},
        "started_at": run.started_at,
        "outcome": run.status,
        "duration_ms": run.duration_ms,
    }
    statement = (
        select(*columns.values())
        .join(Workflow, Workflow.id == run.workflow_id)
        .where(
            Workflow.project_id == project_id,
            run.status.in_(statuses),
            *time_window(run.started_at, since, until),
        )
    )
    if workflow is not None:
        statement = statement.where(Workflow.name == workflow)
    if version is not None:
        statement = statement.where(run.version == version)
    frame = pd.DataFrame(session.execute(statement).all(), columns=list(columns))
    outcome = frame.pop("outcome")
    return frame.assign(
        hour=hours_of(frame.pop("started_at")),
        executions=1,
        completed=(outcome == SUCCESS).astype("int64"),
        failed=(outcome.isin(CLOSED) & (outcome != SUCCESS)).astype("int64"),
        running=(~outcome.isin(CLOSED)).astype("int64"),
    )
