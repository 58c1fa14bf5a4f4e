"""Rollups computed from the stored records, for the migration that introduces them (and for checking that
the rollups kept at write time hold what the records give)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from sqlalchemy import Connection, Table, select

from wfb_jupyter.storage.orm import (
    CLOSED_EXECUTION_STATUSES,
    ActivityAttemptRecord,
    ExecutionRecord,
    Workflow,
)
from wfb_jupyter.storage.repository.rollup_fold import (
    ClosedRun,
    Partials,
    fold_attempts,
    fold_closes,
)
from wfb_jupyter.storage.repository.rollups import ATTEMPTS, EXECUTIONS, FAILURES, add_to_rollups


def rebuild_rollups(connection: Connection, *, chunk: int = 20_000) -> tuple[int, int]:
    """Replace every rollup row by what the stored attempts and closed executions give; returns how many
    attempts and executions were folded. An attempt's version is its run's (NULL without an execution row)."""
    for kind in (ATTEMPTS, FAILURES, EXECUTIONS):
        connection.execute(kind.table.delete())
    # Folded whole before writing: the rows of one rollup come in any order, and each is written once.
    attempts: tuple[Partials, Partials] = ({}, {})
    attempt_count = 0
    for rows in _attempt_rows(connection, chunk):
        fold_attempts(rows, attempts)
        attempt_count += len(rows)
    add_to_rollups(connection, ATTEMPTS, attempts[0])
    add_to_rollups(connection, FAILURES, attempts[1])
    closes: Partials = {}
    close_count = 0
    for runs in _closed_runs(connection, chunk):
        fold_closes(runs, closes)
        close_count += len(runs)
    add_to_rollups(connection, EXECUTIONS, closes)
    return attempt_count, close_count


def _attempt_rows(connection: Connection, chunk: int) -> Iterator[list[dict[str, Any]]]:
    attempt = cast(Table, ActivityAttemptRecord.__table__)
    run = cast(Table, ExecutionRecord.__table__)
    statement = (
        select(
            attempt.c.project_id,
            attempt.c.workflow_id,
            run.c.version,
            attempt.c.step_id,
            attempt.c.component,
            attempt.c.status,
            attempt.c.error_type,
            attempt.c.attempt,
            attempt.c.started_at,
            attempt.c.duration_ms,
        )
        .select_from(attempt)
        .outerjoin(
            run,
            (run.c.temporal_workflow_id == attempt.c.temporal_workflow_id)
            & (run.c.temporal_run_id == attempt.c.temporal_run_id),
        )
        .execution_options(yield_per=chunk)
    )
    for rows in connection.execute(statement).mappings().partitions():
        yield [dict(row) for row in rows]


def _closed_runs(connection: Connection, chunk: int) -> Iterator[list[ClosedRun]]:
    run = cast(Table, ExecutionRecord.__table__)
    statement = (
        select(
            Workflow.project_id,
            run.c.workflow_id,
            run.c.version,
            run.c.status,
            run.c.started_at,
            run.c.duration_ms,
        )
        .join(Workflow, Workflow.id == run.c.workflow_id)
        .where(run.c.status.in_(CLOSED_EXECUTION_STATUSES))
        .execution_options(yield_per=chunk)
    )
    for rows in connection.execute(statement).partitions():
        yield [ClosedRun(*row) for row in rows]
