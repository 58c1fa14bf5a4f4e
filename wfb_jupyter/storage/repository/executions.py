"""Workflow executions one at a time: find, list, create and close a run's row (the batch writes they use are
in ``execution_batches``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from wfb_jupyter.storage._errors import NotFoundError
from wfb_jupyter.storage._types import utc_now
from wfb_jupyter.storage.orm import (
    OPEN_EXECUTION_STATUSES,
    ExecutionRecord,
    Workflow,
)
from wfb_jupyter.storage.repository.execution_batches import (
    EXECUTIONS,
    IN_LIST_CHUNK,
    MISSING,
    ExecutionClose,
    ExecutionStart,
    find_execution,
    record_execution_closes,
    record_execution_starts,
)


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
    start = ExecutionStart(
        workflow_id,
        version,
        temporal_workflow_id,
        temporal_run_id,
        input=input,
        started_at=started_at or utc_now(),
    )
    record_execution_starts(session, [start])
    return _current(session, temporal_workflow_id, temporal_run_id)


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
    """Record how a run ended (see ``record_execution_closes``); returns its row."""
    close = ExecutionClose(
        temporal_workflow_id,
        temporal_run_id,
        status,
        result=result,
        error=error,
        closed_at=closed_at or utc_now(),
    )
    (outcome,) = record_execution_closes(session, [close])
    if outcome == MISSING:
        raise NotFoundError("execution", (temporal_workflow_id, temporal_run_id))
    return _current(session, temporal_workflow_id, temporal_run_id)


def _current(session: Session, temporal_workflow_id: str, temporal_run_id: str) -> ExecutionRecord:
    """The row as stored now, even if the session already holds an older copy of it."""
    return session.scalars(
        select(ExecutionRecord)
        .where(
            ExecutionRecord.temporal_workflow_id == temporal_workflow_id,
            ExecutionRecord.temporal_run_id == temporal_run_id,
        )
        .execution_options(populate_existing=True)
    ).one()


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


def open_runs_started_before(
    session: Session, project_id: str, cutoff: datetime
) -> list[tuple[str, str]]:
    """The Temporal ids of the project's open runs started before ``cutoff``, oldest first."""
    rows = session.execute(
        select(EXECUTIONS.c.temporal_workflow_id, EXECUTIONS.c.temporal_run_id)
        .join(Workflow, Workflow.id == EXECUTIONS.c.workflow_id)
        .where(
            Workflow.project_id == project_id,
            EXECUTIONS.c.status.in_(OPEN_EXECUTION_STATUSES),
            EXECUTIONS.c.started_at < cutoff,
        )
        .order_by(EXECUTIONS.c.started_at)
    )
    return [(workflow_id, run_id) for workflow_id, run_id in rows]


def recorded_runs(session: Session, runs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (workflow id, run id) pairs have a row."""
    wanted = set(runs)
    found: set[tuple[str, str]] = set()
    workflow_ids = sorted({workflow_id for workflow_id, _ in wanted})
    for chunk in range(0, len(workflow_ids), IN_LIST_CHUNK):
        rows = session.execute(
            select(EXECUTIONS.c.temporal_workflow_id, EXECUTIONS.c.temporal_run_id).where(
                EXECUTIONS.c.temporal_workflow_id.in_(workflow_ids[chunk : chunk + IN_LIST_CHUNK])
            )
        )
        found.update(pair for pair in ((w, r) for w, r in rows) if pair in wanted)
    return found


def record_rerun(session: Session, start: ExecutionStart) -> None:
    """Record a re-run's row, linked to the run it re-runs even if a worker recorded the run first."""
    record_execution_starts(session, [start])
    session.execute(
        update(EXECUTIONS)
        .where(
            EXECUTIONS.c.temporal_workflow_id == start.temporal_workflow_id,
            EXECUTIONS.c.temporal_run_id == start.temporal_run_id,
        )
        .values(rerun_of=start.rerun_of, from_step=start.from_step)
    )
