"""Workflow executions recorded in batches: a row is created when a run starts and completed when it closes.

Both writes are idempotent, so a worker may retry them after a lost connection or a busy database, and take a
few Core statements for a whole batch, which is what keeps recording cheap next to the runs it records. The
rollup rows of the runs that close are written in the same transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wfb_jupyter.storage._prepared import PreparedWrite
from wfb_jupyter.storage._types import utc_now
from wfb_jupyter.storage.orm import (
    FINAL_EXECUTION_STATUSES,
    LOST_EXECUTION_STATUS,
    OPEN_EXECUTION_STATUSES,
    ExecutionRecord,
    Project,
    Workflow,
)
from wfb_jupyter.storage.repository.rollup_fold import ClosedRun, fold_closes
from wfb_jupyter.storage.repository.rollups import add_to_execution_rollups

IN_LIST_CHUNK = 400


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


@dataclass(frozen=True)
class ExecutionStart:
    """A started run to record (status ``running``)."""

    workflow_id: int
    version: int
    temporal_workflow_id: str
    temporal_run_id: str
    input: Any = None
    started_at: datetime = field(default_factory=utc_now)
    schedule_id: str | None = None  # the Temporal schedule that started it
    rerun_of: int | None = None  # the row of the run it re-runs (a reset of it) ...
    from_step: str | None = None  # ... from this step


@dataclass(frozen=True)
class ExecutionClose:
    """How a run ended: one of ``CLOSED_EXECUTION_STATUSES`` with its result or error, or ``lost``."""

    temporal_workflow_id: str
    temporal_run_id: str
    status: str
    result: Any = None
    error: str | None = None
    closed_at: datetime = field(default_factory=utc_now)

    def __post_init__(self) -> None:
        if self.status not in FINAL_EXECUTION_STATUSES:
            raise ValueError(
                f"a closed execution's status is one of {FINAL_EXECUTION_STATUSES}, not {self.status!r}"
            )


# What recording a close did to each run of a batch.
CLOSED, ALREADY_CLOSED, MISSING = "closed", "already closed", "missing"

EXECUTIONS = cast(Table, ExecutionRecord.__table__)


def record_execution_starts(session: Session, starts: Sequence[ExecutionStart]) -> None:
    """Record started runs in one statement; a run already recorded is left as it is."""
    if not starts:
        return
    rows = [
        {
            "workflow_id": start.workflow_id,
            "version": start.version,
            "temporal_workflow_id": start.temporal_workflow_id,
            "temporal_run_id": start.temporal_run_id,
            "status": "running",
            "input": start.input,
            "started_at": start.started_at,
            "schedule_id": start.schedule_id,
            "rerun_of": start.rerun_of,
            "from_step": start.from_step,
        }
        for start in starts
    ]
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect in ("sqlite", "postgresql"):
        _insert_starts(dialect).execute(connection, rows)
        return
    for row in rows:  # other databases: look first, and let a racing insert lose to the winner
        if find_execution(session, row["temporal_workflow_id"], row["temporal_run_id"]) is None:
            try:
                with session.begin_nested():
                    session.execute(insert(EXECUTIONS), [row])
            except IntegrityError:
                if find_execution(session, row["temporal_workflow_id"], row["temporal_run_id"]):
                    continue
                raise


def record_execution_closes(session: Session, closes: Sequence[ExecutionClose]) -> list[str]:
    """Record how runs ended, with their durations, and count them in their projects' statistics.

    Returns, per close, ``CLOSED``, ``ALREADY_CLOSED`` (closing a closed run changes nothing, so each run is
    counted once) or ``MISSING`` (no row for that run). The rows are locked while they are read, so of two
    processes closing the same run only one counts it.
    """
    if not closes:
        return []
    connection = session.connection()
    wanted = {(close.temporal_workflow_id, close.temporal_run_id) for close in closes}
    found: dict[tuple[str, str], Any] = {}
    workflow_ids = sorted({workflow_id for workflow_id, _ in wanted})
    for chunk in range(0, len(workflow_ids), IN_LIST_CHUNK):
        rows = connection.execute(
            _ROWS_TO_CLOSE, {"workflow_ids": workflow_ids[chunk : chunk + IN_LIST_CHUNK]}
        )
        for locked in rows:
            key = (locked.temporal_workflow_id, locked.temporal_run_id)
            if key in wanted:
                found[key] = locked
    outcomes: list[str] = []
    updates: list[dict[str, Any]] = []
    counted: dict[str, list[Any]] = {}  # project -> [runs, successes, latest start]
    closed_runs: list[ClosedRun] = []
    closing: set[tuple[str, str]] = set()
    for close in closes:
        key = (close.temporal_workflow_id, close.temporal_run_id)
        row = found.get(key)
        if row is None:
            outcomes.append(MISSING)
            continue
        if row.status not in OPEN_EXECUTION_STATUSES or key in closing:
            outcomes.append(ALREADY_CLOSED)
            continue
        closing.add(key)
        outcomes.append(CLOSED)
        lost = close.status == LOST_EXECUTION_STATUS
        elapsed = (close.closed_at - row.started_at).total_seconds()
        duration_ms = None if lost else max(0, round(elapsed * 1000))
        updates.append(
            {
                "row_id": row.id,
                "new_status": close.status,
                "new_result": close.result,
                "new_error": close.error,
                "new_closed_at": None if lost else close.closed_at,
                "new_duration_ms": duration_ms,
            }
        )
        if lost:
            continue  # not an outcome: the project's counters and rollups leave it out
        closed_runs.append(
            ClosedRun(
                row.project_id,
                row.workflow_id,
                row.version,
                close.status,
                row.started_at,
                duration_ms,
            )
        )
        totals = counted.setdefault(row.project_id, [0, 0, row.started_at])
        totals[0] += 1
        totals[1] += close.status == "completed"
        totals[2] = max(totals[2], row.started_at)
    if updates:
        _CLOSE_ROW.execute(connection, updates)
    if counted:
        _COUNT_PROJECT_RUNS.execute(
            connection,
            [
                {"project": project, "runs": runs, "successes": ok, "latest": latest}
                for project, (runs, ok, latest) in sorted(counted.items())
            ],
        )
        # After the counters: their row locks are what serialises the writers of these projects' rollups.
        add_to_execution_rollups(connection, fold_closes(closed_runs))
    return outcomes


IN_LIST_CHUNK = 400
# Statements are built once: building one costs more than running it.
_ROWS_TO_CLOSE = (
    select(
        EXECUTIONS.c.id,
        EXECUTIONS.c.temporal_workflow_id,
        EXECUTIONS.c.temporal_run_id,
        EXECUTIONS.c.status,
        EXECUTIONS.c.started_at,
        EXECUTIONS.c.workflow_id,
        EXECUTIONS.c.version,
        Workflow.project_id,
    )
    .join(Workflow, Workflow.id == EXECUTIONS.c.workflow_id)
    .where(EXECUTIONS.c.temporal_workflow_id.in_(bindparam("workflow_ids", expanding=True)))
    .order_by(EXECUTIONS.c.id)  # one lock order for every writer: no deadlocks
    .with_for_update(of=EXECUTIONS)
)
_projects = cast(Table, Project.__table__)
_COUNT_PROJECT_RUNS = PreparedWrite(
    update(_projects)
    .where(_projects.c.id == bindparam("project"))
    .values(
        execution_count=_projects.c.execution_count + bindparam("runs"),
        execution_success_count=_projects.c.execution_success_count + bindparam("successes"),
        execution_failure_count=_projects.c.execution_failure_count
        + bindparam("runs")
        - bindparam("successes"),
        last_execution_at=bindparam("latest", type_=_projects.c.last_execution_at.type),
    )
)
_CLOSE_ROW = PreparedWrite(
    update(EXECUTIONS)
    .where(
        EXECUTIONS.c.id == bindparam("row_id"),
        # OR of equalities rather than IN: an IN list is expanded per execution, which executemany refuses.
        or_(*(EXECUTIONS.c.status == status for status in OPEN_EXECUTION_STATUSES)),
    )
    .values(
        status=bindparam("new_status"),
        result=bindparam("new_result", type_=EXECUTIONS.c.result.type),
        error=bindparam("new_error"),
        closed_at=bindparam("new_closed_at", type_=EXECUTIONS.c.closed_at.type),
        duration_ms=bindparam("new_duration_ms"),
    )
)


@functools.cache
def _insert_starts(dialect: str) -> PreparedWrite:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(EXECUTIONS).on_conflict_do_nothing(
        index_elements=["temporal_workflow_id", "temporal_run_id"]
    )
    return PreparedWrite(statement, _START_COLUMNS)


_START_COLUMNS = (
    "workflow_id",
    "version",
    "temporal_workflow_id",
    "temporal_run_id",
    "status",
    "input",
    "started_at",
    "schedule_id",
    "rerun_of",
    "from_step",
)
