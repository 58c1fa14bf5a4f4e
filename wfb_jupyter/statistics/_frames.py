"""Row-level views as pandas DataFrames: a project's executions and its activity attempts.

Every frame has the same columns and dtypes whether or not it has rows, so code (and charts) built on it
never special-case an empty project. Timestamps are ``datetime64[ns, UTC]``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from wfb_jupyter.statistics._sql import (
    attempts_from,
    attempts_query,
    statuses,
    time_window,
    unindexed,
)
from wfb_jupyter.storage import ActivityAttemptRecord, ExecutionRecord, Workflow

EXECUTION_COLUMNS = (
    "workflow",
    "version",
    "workflow_id",
    "run_id",
    "status",
    "started_at",
    "closed_at",
    "duration_ms",
    "error",
    "input",  # what the run was given, as a dict
    "result",  # the result as text, cut at RESULT_TEXT_LIMIT characters
)
RESULT_TEXT_LIMIT = 200
ATTEMPT_COLUMNS = (
    "workflow",
    "workflow_id",
    "run_id",
    "step_id",
    "component",
    "attempt",
    "status",
    "scheduled_at",
    "started_at",
    "finished_at",
    "duration_ms",
    "error",
    "error_type",
    "activity_id",  # as the workflow named the attempt: enrich[3] (a for_each's iteration), rerun #2
    "item",  # the iteration index of a for_each step, from the activity id (None outside loops)
)
TIMESTAMP_COLUMNS = frozenset({"started_at", "closed_at", "scheduled_at", "finished_at", "bucket"})
INTEGER_COLUMNS = frozenset({"version", "attempt"})
# Durations may be missing (a run still going), so they are nullable integers rather than floats.
NULLABLE_INTEGER_COLUMNS = frozenset({"duration_ms", "max_ms"})


def executions_frame(
    session: Session,
    project_id: str,
    *,
    workflow: str | None = None,
    version: int | None = None,
    status: str | Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> pd.DataFrame:
    """The project's executions, newest first. ``workflow`` is a workflow name; ``since``/``until`` bound
    ``started_at`` (inclusive/exclusive, timezone-aware); ``limit`` and ``offset`` page through them."""
    run = ExecutionRecord
    statement = (
        select(
            Workflow.name.label("workflow"),
            run.version,
            run.temporal_workflow_id.label("workflow_id"),
            run.temporal_run_id.label("run_id"),
            run.status,
            run.started_at,
            run.closed_at,
            run.duration_ms,
            run.error,
            run.input,
            run.result,
        )
        # The latest runs by walking the start-time index backwards, which stops after ``limit`` rows;
        # joining through the runs' workflow index would sort all of the project's runs first.
        .join(
            Workflow,
            Workflow.id
            == (run.workflow_id if limit is None else unindexed(session, run.workflow_id)),
        )
        .where(Workflow.project_id == project_id, *time_window(run.started_at, since, until))
        .order_by(run.started_at.desc(), run.id.desc())
    )
    if workflow is not None:
        statement = statement.where(Workflow.name == workflow)
    if version is not None:
        statement = statement.where(run.version == version)
    wanted = statuses(status)
    if wanted is not None:
        statement = statement.where(run.status.in_(wanted))
    statement = _page(statement, limit, offset)
    frame = to_frame(session.execute(statement).all(), EXECUTION_COLUMNS)
    frame["result"] = frame["result"].map(_shown_result)
    return frame


DURATION_COLUMNS = ("workflow", "version", "status", "started_at", "duration_ms")


def execution_durations(
    session: Session,
    project_id: str,
    *,
    workflow: str | None = None,
    version: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 5_000,
) -> pd.DataFrame:
    """The latest closed runs' durations, newest first (``DURATION_COLUMNS``): what a chart of duration
    distributions draws, without the inputs and results ``executions_frame`` decodes."""
    run = ExecutionRecord
    statement = (
        select(Workflow.name, run.version, run.status, run.started_at, run.duration_ms)
        # As in executions_frame: the start-time index, walked backwards, stops after ``limit`` rows.
        .join(Workflow, Workflow.id == unindexed(session, run.workflow_id))
        .where(
            Workflow.project_id == project_id,
            run.duration_ms.is_not(None),
            *time_window(run.started_at, since, until),
        )
        .order_by(run.started_at.desc(), run.id.desc())
        .limit(limit)
    )
    if workflow is not None:
        statement = statement.where(Workflow.name == workflow)
    if version is not None:
        statement = statement.where(run.version == version)
    return to_frame(session.execute(statement).all(), DURATION_COLUMNS)


def _shown_result(value: Any) -> str | None:
    """A result as short text (results can be large; the record keeps all of it)."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= RESULT_TEXT_LIMIT else text[: RESULT_TEXT_LIMIT - 1] + "…"


def activity_attempts_frame(
    session: Session,
    project_id: str,
    *,
    component: str | None = None,
    workflow: str | None = None,
    execution: tuple[str, str | None] | None = None,
    status: str | Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
    newest_first: bool = False,
) -> pd.DataFrame:
    """The project's activity attempts in the order they started (``newest_first``: the latest first).
    ``execution`` is ``(workflow_id, run_id)`` in Temporal's terms (``run_id`` None: every run of that workflow
    id); ``status`` keeps attempts of that status (or those statuses), ``"failed"`` the failures, say;
    ``limit`` and ``offset`` page through them. Raw rows: ``wfb db prune`` removes old ones."""
    attempt = ActivityAttemptRecord
    clauses, with_executions = attempts_query(
        project_id,
        component=component,
        workflow=workflow,
        execution=execution,
        since=since,
        until=until,
    )
    statement = attempts_from(
        select(
            Workflow.name.label("workflow"),
            attempt.temporal_workflow_id.label("workflow_id"),
            attempt.temporal_run_id.label("run_id"),
            attempt.step_id,
            attempt.component,
            attempt.attempt,
            attempt.status,
            attempt.scheduled_at,
            attempt.started_at,
            attempt.finished_at,
            attempt.duration_ms,
            attempt.error,
            attempt.error_type,
            attempt.activity_id,
        ),
        with_executions=with_executions,
    )
    wanted = statuses(status)
    if wanted is not None:
        clauses.append(attempt.status.in_(wanted))
    if execution is not None:
        # One run's attempts by the run's index, not by the project's, which holds every attempt.
        clauses[0] = unindexed(session, attempt.project_id) == project_id
    order = (attempt.started_at, attempt.step_id, attempt.attempt, attempt.id)
    statement = statement.where(*clauses).order_by(
        *((column.desc() for column in order) if newest_first else order)
    )
    statement = _page(statement, limit, offset)
    frame = to_frame(session.execute(statement).all(), ATTEMPT_COLUMNS[:-1])
    frame["item"] = frame["activity_id"].map(item_index).astype("Int64")
    return frame


def _page(statement: Any, limit: int | None, offset: int) -> Any:
    if limit is not None and limit < 0 or offset < 0:
        raise ValueError(f"limit and offset cannot be negative (limit={limit}, offset={offset})")
    if limit is not None:
        statement = statement.limit(limit)
    return statement.offset(offset) if offset else statement


def item_index(activity_id: str | None) -> int | None:
    """The for_each iteration an activity id names (``enrich[3]`` and ``enrich[3]#2`` -> 3; nested loops:
    the innermost), or None outside loops."""
    if not activity_id or "[" not in activity_id:
        return None
    inner = activity_id.split("#", 1)[0].rstrip("]").rsplit("[", 1)[-1]
    return int(inner) if inner.isdigit() else None


def to_frame(rows: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
    """Rows to a frame with stable dtypes (timestamps in UTC, nullable integers) even when empty."""
    frame = pd.DataFrame([tuple(row) for row in rows], columns=list(columns))
    for name in frame.columns:
        if name in TIMESTAMP_COLUMNS:
            frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
        elif name in INTEGER_COLUMNS or name in NULLABLE_INTEGER_COLUMNS:
            frame[name] = frame[name].astype("Int64")
    return frame
