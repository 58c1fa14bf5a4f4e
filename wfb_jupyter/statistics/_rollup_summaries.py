"""Summaries read from the hourly rollups: their cost follows the number of hours and groups, not of rows.

The whole hours of the time window come from the rollup tables; the parts of an hour at either end of a window
that does not start or end on the hour come from the raw rows, binned the same way (after ``wfb db prune``, an
edge inside a pruned hour counts only what is left of it). Running executions are not rolled up until they
close: they are few, and read from ``workflow_executions``. A summary by status or error type reads the
failure rollups, and takes the successes of each attempt rollup row as that row less its failures (the error
type of a completed attempt, which workers never give, is not kept).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import case, func, literal, null, select
from sqlalchemy.orm import Session

from wfb_jupyter.statistics._histograms import Entries
from wfb_jupyter.statistics._rollup_edges import raw_attempts, raw_executions
from wfb_jupyter.statistics._rollup_parts import (
    DURATIONS,
    Parts,
    Window,
    fetch,
    merge,
    output_keys,
)
from wfb_jupyter.statistics._sql import (
    CLOSED,
    SUCCESS,
    AnySelect,
    attempts_from,
    attempts_query,
)
from wfb_jupyter.statistics._summary_shape import (
    ACTIVITY_COUNTS,
    EXECUTION_COUNTS,
    Grouping,
    attempt_success_rate,
    closed_success_rate,
    finish_frame,
    summary_columns,
)
from wfb_jupyter.storage import (
    ActivityAttemptRecord,
    ActivityFailureRollup,
    ActivityRollup,
    ExecutionRollup,
    Workflow,
)
from wfb_jupyter.storage.orm import OPEN_EXECUTION_STATUSES


def _filtered(
    statement: AnySelect,
    table: Any,
    project_id: str,
    window: Window,
    *,
    names: Sequence[str],
    workflow: str | None,
    version: int | None,
    component: str | None = None,
) -> AnySelect:
    statement = statement.where(table.project_id == project_id, *window.hour_clauses(table.hour))
    if workflow is not None or "workflow" in names:
        statement = statement.outerjoin(Workflow, Workflow.id == table.workflow_id)
    if workflow is not None:
        statement = statement.where(Workflow.name == workflow)
    if version is not None:
        statement = statement.where(table.version == version)
    if component is not None:
        statement = statement.where(table.component == component)
    return statement


def _attempt_keys(table: Any, names: Sequence[str]) -> dict[str, Any]:
    available = {
        "component": table.component,
        "workflow": Workflow.name,
        "version": table.version,
        "step": table.step_id,
        "status": getattr(table, "status", literal(SUCCESS)),
        "error_type": getattr(table, "error_type", null()),
    }
    return {name: available[name] for name in names}


def rolled_up_activity_summaries(
    session: Session,
    project_id: str,
    groupings: Sequence[Grouping],
    *,
    component: str | None,
    workflow: str | None,
    version: int | None,
    since: datetime | None,
    until: datetime | None,
) -> list[pd.DataFrame]:
    """One summary per grouping, all merged from one read of the rollup rows (with every grouping's keys)."""
    names = _all_keys(groupings)
    window = Window.of(since, until)
    filters: dict[str, Any] = {
        "names": names,
        "workflow": workflow,
        "version": version,
        "component": component,
    }
    parts = Parts()
    if window.rolled_up:
        if "status" in names or "error_type" in names:
            _add_by_outcome(session, parts, project_id, window, filters)
        else:
            rollup = ActivityRollup
            columns = {
                **_attempt_keys(rollup, names),
                "hour": rollup.hour,
                "attempts": rollup.attempts,
                "successes": rollup.successes,
                "failures": rollup.attempts - rollup.successes,
                "retries": rollup.retries,
                **{name: getattr(rollup, name) for name in DURATIONS},
            }
            statement = select(*columns.values(), rollup.histogram)
            statement = _filtered(statement, rollup, project_id, window, **filters)
            parts.add_rolled_up(*fetch(session, statement, list(columns)))
    for since_edge, until_edge in window.raw:
        parts.add_raw(raw_attempts(session, project_id, since_edge, until_edge, **filters))
    return [
        _summarise(parts, grouping, ACTIVITY_COUNTS, "attempts", attempt_success_rate)
        for grouping in groupings
    ]


def _all_keys(groupings: Sequence[Grouping]) -> list[str]:
    return list(dict.fromkeys(name for grouping in groupings for name in grouping.by))


def _summarise(
    parts: Parts,
    grouping: Grouping,
    counts: Sequence[str],
    count_column: str,
    success_rate: Callable[[pd.DataFrame], pd.Series],
) -> pd.DataFrame:
    frame = merge(parts, grouping.by, grouping.bucket, counts, grouping.percentiles)
    return finish_frame(
        frame,
        output_keys(grouping.by, grouping.bucket),
        summary_columns(counts, grouping.percentiles),
        count_column,
        success_rate,
    )


def _add_by_outcome(
    session: Session, parts: Parts, project_id: str, window: Window, filters: dict[str, Any]
) -> None:
    """The failure rollup rows as they are, and per attempt rollup row its successes: the row less its
    failures (counts, sums and histogram entries subtracted; the extremes are the successes' own)."""
    names = filters["names"]
    failure = ActivityFailureRollup
    columns = {
        **_attempt_keys(failure, names),
        "hour": failure.hour,
        "parent": failure.attempt_rollup_key,
        "attempts": failure.attempts,
        "failures": failure.attempts,
        "retries": failure.retries,
        **{name: getattr(failure, name) for name in DURATIONS},
    }
    statement = _filtered(
        select(*columns.values(), failure.histogram), failure, project_id, window, **filters
    )
    failed, failed_histograms = fetch(session, statement, list(columns))
    rollup = ActivityRollup
    columns = {
        **_attempt_keys(rollup, names),
        "hour": rollup.hour,
        "key": rollup.rollup_key,
        "successes": rollup.successes,
        "retries": rollup.retries,
        "timed": rollup.timed,
        "duration_sum_ms": rollup.duration_sum_ms,
        "duration_min_ms": rollup.success_min_ms,
        "duration_max_ms": rollup.success_max_ms,
    }
    statement = _filtered(
        select(*columns.values(), rollup.histogram), rollup, project_id, window, **filters
    )
    succeeded, histograms = fetch(session, statement, list(columns))
    failed_entries = Entries.decode(failed_histograms)
    parts.add(failed.drop(columns="parent"), failed_entries)
    # Each failure rollup row belongs to one attempt rollup row: take its figures out of that row.
    owner = pd.Index(succeeded["key"]).get_indexer(failed["parent"])
    if (owner < 0).any():
        raise AssertionError("a failure rollup row without its attempt rollup row")
    taken = failed[["retries", "timed", "duration_sum_ms"]].groupby(owner).sum()
    taken = taken.reindex(range(len(succeeded)), fill_value=0.0)
    succeeded = succeeded.drop(columns="key").assign(
        attempts=succeeded["successes"],
        failures=0.0,
        retries=succeeded["retries"] - taken["retries"].to_numpy(),
        timed=succeeded["timed"] - taken["timed"].to_numpy(),
        duration_sum_ms=succeeded["duration_sum_ms"] - taken["duration_sum_ms"].to_numpy(),
    )
    entries = Entries.decode(histograms).concat(failed_entries.moved(owner.astype(np.int64), -1))
    parts.add(succeeded, entries)


def rolled_up_execution_summaries(
    session: Session,
    project_id: str,
    groupings: Sequence[Grouping],
    *,
    workflow: str | None,
    version: int | None,
    status: tuple[str, ...] | None,
    since: datetime | None,
    until: datetime | None,
) -> list[pd.DataFrame]:
    """One summary per grouping, all merged from one read of the rollup rows (with every grouping's keys)."""
    names = _all_keys(groupings)
    window = Window.of(since, until)
    closed = CLOSED if status is None else tuple(s for s in status if s in CLOSED)
    parts = Parts()
    if window.rolled_up and closed:
        rollup = ExecutionRollup
        keys = {"workflow": Workflow.name, "version": rollup.version, "status": rollup.status}
        completed = case((rollup.status == SUCCESS, rollup.executions), else_=0)
        columns = {
            **{name: keys[name] for name in names},
            "hour": rollup.hour,
            "executions": rollup.executions,
            "completed": completed,
            "failed": rollup.executions - completed,
            **{name: getattr(rollup, name) for name in DURATIONS},
        }
        statement = select(*columns.values(), rollup.histogram).where(rollup.status.in_(closed))
        statement = _filtered(
            statement, rollup, project_id, window, names=names, workflow=workflow, version=version
        )
        parts.add_rolled_up(*fetch(session, statement, list(columns)))
    raw_windows = [(closed, edge) for edge in window.raw] if closed else []
    running = (
        OPEN_EXECUTION_STATUSES
        if status is None
        else tuple(s for s in status if s in OPEN_EXECUTION_STATUSES)
    )
    if running:  # open runs are not rolled up yet: all of them from the rows, whatever the window
        raw_windows.append((running, (since, until)))
    for statuses, (since_edge, until_edge) in raw_windows:
        parts.add_raw(
            raw_executions(
                session, project_id, names, workflow, version, statuses, since_edge, until_edge
            )
        )
    return [
        _summarise(parts, grouping, EXECUTION_COUNTS, "executions", closed_success_rate)
        for grouping in groupings
    ]


def failures_by_error_type(
    session: Session,
    project_id: str,
    *,
    component: str | None,
    workflow: str | None,
    since: datetime | None,
    exact: bool = False,
) -> dict[str | None, int]:
    """How many failed (or cancelled) attempts each error type has: summed by the database from the failure
    rollups (and from the raw rows at the window's edges), or with ``exact`` from the raw rows alone."""
    window = Window(False, None, None, ((since, None),)) if exact else Window.of(since, None)
    counts: dict[str | None, int] = {}
    failure = ActivityFailureRollup
    if window.rolled_up:
        statement = select(failure.error_type, func.sum(failure.attempts)).group_by(
            failure.error_type
        )
        statement = _filtered(
            statement,
            failure,
            project_id,
            window,
            names=(),
            workflow=workflow,
            version=None,
            component=component,
        )
        counts.update((name, int(total)) for name, total in session.execute(statement))
    attempt = ActivityAttemptRecord
    for since_edge, until_edge in window.raw:
        clauses, needs_executions = attempts_query(
            project_id, component=component, workflow=workflow, since=since_edge, until=until_edge
        )
        statement = (
            attempts_from(
                select(attempt.error_type, func.count()), with_executions=needs_executions
            )
            .where(*clauses, attempt.status != SUCCESS)
            .group_by(attempt.error_type)
        )
        for name, total in session.execute(statement):
            counts[name] = counts.get(name, 0) + int(total)
    return counts
