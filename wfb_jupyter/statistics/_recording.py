"""Recording what ran, under the seed's names: typed front doors to the storage repository, which owns the
idempotency, the batching and the running statistics. The caller owns the transaction, as everywhere."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from wfb_jupyter.storage import (
    ActivityAttempt,
    ExecutionRecord,
    close_execution,
    create_execution,
    record_activity_attempts,
)
from wfb_jupyter.storage.orm import CLOSED_EXECUTION_STATUSES, OPEN_EXECUTION_STATUSES


def record_workflow_execution(
    session: Session,
    *,
    workflow_id: int,
    version: int,
    temporal_workflow_id: str,
    temporal_run_id: str,
    status: str = "running",
    input: Any = None,
    result: Any = None,
    error: str | None = None,
    started_at: datetime | None = None,
    closed_at: datetime | None = None,
) -> ExecutionRecord:
    """Record a run: its start (status ``running``), or its end (a closed status, with result or error).

    Safe to call more than once for the same run: the start is recorded once, and a run is closed (and
    counted in the project's statistics) once. Recording an end for a run never seen starts it first, so
    a worker that only sees the close still leaves a complete record.
    """
    if status not in OPEN_EXECUTION_STATUSES + CLOSED_EXECUTION_STATUSES:
        raise ValueError(
            f"status must be one of {OPEN_EXECUTION_STATUSES + CLOSED_EXECUTION_STATUSES}, "
            f"not {status!r}"
        )
    record = create_execution(
        session,
        workflow_id,
        version,
        temporal_workflow_id,
        temporal_run_id,
        input=input,
        started_at=started_at,
    )
    if status in OPEN_EXECUTION_STATUSES:
        return record
    return close_execution(
        session,
        temporal_workflow_id,
        temporal_run_id,
        status,
        result=result,
        error=error,
        closed_at=closed_at,
    )


def record_activity_execution(
    session: Session,
    *,
    project_id: str,
    temporal_workflow_id: str,
    temporal_run_id: str,
    step_id: str,
    component: str,
    status: str,
    started_at: datetime,
    attempt: int = 1,
    workflow_id: int | None = None,
    scheduled_at: datetime | None = None,
    finished_at: datetime | None = None,
    duration_ms: int | None = None,
    error: str | None = None,
    error_type: str | None = None,
) -> ActivityAttempt:
    """Record one attempt of one activity (``status == "completed"`` is a success, anything else a failure)
    and fold it into the statistics. Workers with many attempts should batch them through
    ``record_activity_executions``."""
    recorded = ActivityAttempt(
        project_id=project_id,
        temporal_workflow_id=temporal_workflow_id,
        temporal_run_id=temporal_run_id,
        step_id=step_id,
        component=component,
        status=status,
        started_at=started_at,
        attempt=attempt,
        workflow_id=workflow_id,
        scheduled_at=scheduled_at,
        finished_at=finished_at,
        duration_ms=duration_ms,
        error=error,
        error_type=error_type,
    )
    record_activity_attempts(session, [recorded])
    return recorded


def record_activity_executions(
    session: Session, attempts: Iterable[ActivityAttempt | Mapping[str, Any]]
) -> int:
    """Record a batch of attempts in one insert and one statistics update per group; returns the count."""
    return record_activity_attempts(session, attempts)
