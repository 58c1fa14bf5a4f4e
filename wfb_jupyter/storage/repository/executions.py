"""Workflow executions: a row is created when a run starts and completed when it closes.

Both writes are idempotent, so a worker may retry them after a lost connection or a busy database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wfb_jupyter.storage._errors import NotFoundError
from wfb_jupyter.storage._types import utc_now
from wfb_jupyter.storage.orm import (
    CLOSED_EXECUTION_STATUSES,
    OPEN_EXECUTION_STATUSES,
    ExecutionRecord,
    Project,
    Workflow,
)


def find_execution(
    session: Session, temporal_workflow_id: str, temporal_run_id: str | None = None
) -> ExecutionRecord | None:
    """The run with these Temporal ids; the latest started run of the workflow id when no run id is given."""
    statement = select(ExecutionRecord).where(
        ExecutionRecord.temporal_workflow_id == temporal_workflow_id
    )
    if temporal_run_id is not None:
        statement = statement.where(ExecutionRecord.temporal_run_id == temporal_run_id)
    statement = statement.order_by(ExecutionRecord.started_at.desc(), ExecutionRecord.id.desc())
    return session.scalars(statement.limit(1)).first()


def get_execution(
    session: Session, temporal_workflow_id: str, temporal_run_id: str | None = None
) -> ExecutionRecord:
    found = find_execution(session, temporal_workflow_id, temporal_run_id)
    if found is None:
        raise NotFoundError("execution", (temporal_workflow_id, temporal_run_id))
    return found


def create_execution(
    session: Session,
    workflow_id: int,
    version: int,
    temporal_workflow_id: str,
    temporal_run_id: str,
    *,
    input: Any = None,
    started_at: datetime | None = None,
) -> ExecutionRecord:
    """Record a started run (status ``running``); returns the existing row if this run is already recorded."""
    existing = find_execution(session, temporal_workflow_id, temporal_run_id)
    if existing is not None:
        return existing
    record = ExecutionRecord(
        workflow_id=workflow_id,
        version=version,
        temporal_workflow_id=temporal_workflow_id,
        temporal_run_id=temporal_run_id,
        status="running",
        input=input,
        started_at=started_at or utc_now(),
    )
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        winner = find_execution(session, temporal_workflow_id, temporal_run_id)
        if winner is None:
            raise
        return winner
    return record


def close_execution(
    session: Session,
    temporal_workflow_id: str,
    temporal_run_id: str,
    status: str,
    *,
    result: Any = None,
    error: str | None = None,
    closed_at: datetime | None = None,
) -> ExecutionRecord:
    """Record how a run ended, with its duration, and count it in the project's statistics.

    Closing an already closed run changes nothing, so the project's counters count every run once.
    """
    if status not in CLOSED_EXECUTION_STATUSES:
        raise ValueError(f"a closed execution's status is one of {CLOSED_EXECUTION_STATUSES}")
    record = get_execution(session, temporal_workflow_id, temporal_run_id)
    if record.status not in OPEN_EXECUTION_STATUSES:
        return record
    closed = closed_at or utc_now()
    # A conditional update, so that of two processes closing the same run only one counts it.
    outcome = session.execute(
        update(ExecutionRecord)
        .where(
            ExecutionRecord.id == record.id,
            ExecutionRecord.status.in_(OPEN_EXECUTION_STATUSES),
        )
        .values(
            status=status,
            result=result,
            error=error,
            closed_at=closed,
            duration_ms=max(0, round((closed - record.started_at).total_seconds() * 1000)),
        )
        .execution_options(synchronize_session=False)
    )
    changed = cast(CursorResult[Any], outcome).rowcount
    session.refresh(record)
    if not changed:
        return record
    project_id = session.scalar(
        select(Workflow.project_id).where(Workflow.id == record.workflow_id)
    )
    succeeded = int(status == "completed")
    session.execute(
        update(Project)
        .where(Project.id == project_id)
        .values(
            execution_count=Project.execution_count + 1,
            execution_success_count=Project.execution_success_count + succeeded,
            execution_failure_count=Project.execution_failure_count + (1 - succeeded),
            last_execution_at=record.started_at,
        )
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return record


def list_executions(
    session: Session,
    *,
    project_id: str | None = None,
    workflow_id: int | None = None,
    version: int | None = None,
    statuses: tuple[str, ...] | None = None,
    limit: int | None = 100,
) -> list[ExecutionRecord]:
    """Executions, newest first, filtered by project, workflow, version and status."""
    statement = select(ExecutionRecord)
    if project_id is not None:
        statement = statement.join(Workflow, Workflow.id == ExecutionRecord.workflow_id).where(
            Workflow.project_id == project_id
        )
    if workflow_id is not None:
        statement = statement.where(ExecutionRecord.workflow_id == workflow_id)
    if version is not None:
        statement = statement.where(ExecutionRecord.version == version)
    if statuses is not None:
        statement = statement.where(ExecutionRecord.status.in_(statuses))
    statement = statement.order_by(ExecutionRecord.started_at.desc(), ExecutionRecord.id.desc())
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.scalars(statement))


def list_open_executions(
    session: Session, *, project_id: str | None = None, workflow_id: int | None = None
) -> list[ExecutionRecord]:
    return list_executions(
        session,
        project_id=project_id,
        workflow_id=workflow_id,
        statuses=OPEN_EXECUTION_STATUSES,
        limit=None,
    )
