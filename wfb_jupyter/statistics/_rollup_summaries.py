"""Summaries read from the hourly rollups: their cost follows the number of hours and groups, not of rows.

The whole hours of the time window come from ``activity_rollups`` / ``execution_rollups``; the parts of an hour
at either end of a window that does not start or end on the hour come from the raw rows, binned the same way
(after ``wfb db prune``, an edge inside a pruned hour counts only what is left of it). Running executions are
not rolled up until they close: they are few, and read from ``workflow_executions``. Every piece becomes
*parts* (one row of additive counts per rollup row or raw row, with histogram entries), merged per group.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, case, select
from sqlalchemy.orm import Session

from wfb_jupyter.statistics._histograms import Entries, group_percentiles
from wfb_jupyter.statistics._sql import (
    CLOSED,
    PERCENTILES,
    SUCCESS,
    attempts_from,
    attempts_query,
    time_window,
)
from wfb_jupyter.statistics._summary_shape import (
    ACTIVITY_SUMMARY_COLUMNS,
    EXECUTION_SUMMARY_COLUMNS,
    attempt_success_rate,
    closed_success_rate,
    finish_frame,
)
from wfb_jupyter.storage import (
    ActivityAttemptRecord,
    ActivityRollup,
    ExecutionRecord,
    ExecutionRollup,
    Workflow,
)
from wfb_jupyter.storage.orm import OPEN_EXECUTION_STATUSES

_HOUR = 3600
_EPOCH = pd.Timestamp(0, tz="UTC")
_DURATIONS = ("timed", "duration_sum_ms", "duration_min_ms", "duration_max_ms")
_ACTIVITY_COUNTS = ("attempts", "successes", "failures", "retries")
_EXECUTION_COUNTS = ("executions", "completed", "failed", "running")


@dataclass(frozen=True)
class Window:
    """A ``[since, until)`` window cut into whole hours (``hours``: ``[first, end)`` in epoch hours, None when
    unbounded, or no hours at all) and the raw-row windows at its edges."""

    rolled_up: bool
    first_hour: int | None
    end_hour: int | None
    raw: tuple[tuple[datetime | None, datetime | None], ...]

    @staticmethod
    def of(since: datetime | None, until: datetime | None) -> Window:
        first = None if since is None else math.ceil(since.timestamp() / _HOUR)
        end = None if until is None else math.floor(until.timestamp() / _HOUR)
        if first is not None and end is not None and first >= end:
            return Window(False, None, None, ((since, until),))
        raw = []
        if since is not None and first is not None and since.timestamp() != first * _HOUR:
            raw.append((since, _moment(first)))
        if until is not None and end is not None and until.timestamp() != end * _HOUR:
            raw.append((_moment(end), until))
        return Window(True, first, end, tuple(raw))

    def hour_clauses(self, column: Any) -> list[Any]:
        clauses = []
        if self.first_hour is not None:
            clauses.append(column >= self.first_hour)
        if self.end_hour is not None:
            clauses.append(column < self.end_hour)
        return clauses


def _moment(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * _HOUR, tz=timezone.utc)


@dataclass
class _Parts:
    frames: list[pd.DataFrame]
    entries: Entries
    size: int = 0

    def add_rolled_up(self, rows: Sequence[Any], columns: list[str]) -> None:
        if not rows:
            return
        frame = pd.DataFrame.from_records(rows, columns=[*columns, "histogram"])
        self.entries = self.entries.concat(Entries.decode(list(frame.pop("histogram")), self.size))
        self._append(frame)

    def add_raw(self, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        durations = pd.to_numeric(frame["duration_ms"], errors="coerce").astype("float64")
        self.entries = self.entries.concat(Entries.of_durations(durations.to_numpy(), self.size))
        timed = durations.notna()
        frame = frame.drop(columns=["duration_ms"]).assign(
            timed=timed.astype("int64"),
            duration_sum_ms=durations.fillna(0.0),
            duration_min_ms=durations,
            duration_max_ms=durations,
        )
        self._append(frame)

    def _append(self, frame: pd.DataFrame) -> None:
        self.frames.append(frame)
        self.size += len(frame)


def _hours_of(started: pd.Series) -> pd.Series:
    moments = pd.to_datetime(started, utc=True, format="ISO8601")
    return ((moments - _EPOCH) // pd.Timedelta(hours=1)).astype("int64")


def rolled_up_activity_summary(
    session: Session,
    project_id: str,
    names: Sequence[str],
    bucket: str | None,
    *,
    component: str | None,
    workflow: str | None,
    version: int | None,
    since: datetime | None,
    until: datetime | None,
) -> pd.DataFrame:
    window = Window.of(since, until)
    rollup = ActivityRollup
    keys = {
        "component": rollup.component,
        "workflow": Workflow.name,
        "version": rollup.version,
        "step": rollup.step_id,
        "status": rollup.status,
        "error_type": rollup.error_type,
    }
    parts = _Parts([], Entries.empty())
    if window.rolled_up:
        completed = case((rollup.status == SUCCESS, rollup.attempts), else_=0)
        columns = {
            **{name: keys[name] for name in names},
            "hour": rollup.hour,
            "attempts": rollup.attempts,
            "successes": completed,
            "failures": rollup.attempts - completed,
            "retries": rollup.retries,
            **{name: getattr(rollup, name) for name in _DURATIONS},
        }
        statement: Select[Any] = select(*columns.values(), rollup.histogram).where(
            rollup.project_id == project_id, *window.hour_clauses(rollup.hour)
        )
        if workflow is not None or "workflow" in names:
            statement = statement.outerjoin(Workflow, Workflow.id == rollup.workflow_id)
        if workflow is not None:
            statement = statement.where(Workflow.name == workflow)
        if component is not None:
            statement = statement.where(rollup.component == component)
        if version is not None:
            statement = statement.where(rollup.version == version)
        parts.add_rolled_up(session.execute(statement).all(), list(columns))
    for since_edge, until_edge in window.raw:
        parts.add_raw(
            _raw_attempts(
                session, project_id, names, component, workflow, version, since_edge, until_edge
            )
        )
    frame = _merge(parts, names, bucket, _ACTIVITY_COUNTS)
    return finish_frame(
        frame,
        _output_keys(names, bucket),
        ACTIVITY_SUMMARY_COLUMNS,
        "attempts",
        attempt_success_rate,
    )


def _raw_attempts(
    session: Session,
    project_id: str,
    names: Sequence[str],
    component: str | None,
    workflow: str | None,
    version: int | None,
    since: datetime | None,
    until: datetime | None,
) -> pd.DataFrame:
    attempt = ActivityAttemptRecord
    keys = {
        "component": attempt.component,
        "workflow": Workflow.name,
        "version": ExecutionRecord.version,
        "step": attempt.step_id,
        "status": attempt.status,
        "error_type": attempt.error_type,
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
        hour=_hours_of(frame.pop("started_at")),
        attempts=1,
        successes=success,
        failures=1 - success,
        retries=(frame.pop("attempt_number") > 1).astype("int64"),
    )


def rolled_up_execution_summary(
    session: Session,
    project_id: str,
    names: Sequence[str],
    bucket: str | None,
    *,
    workflow: str | None,
    version: int | None,
    status: tuple[str, ...] | None,
    since: datetime | None,
    until: datetime | None,
) -> pd.DataFrame:
    window = Window.of(since, until)
    closed = CLOSED if status is None else tuple(s for s in status if s in CLOSED)
    parts = _Parts([], Entries.empty())
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
            **{name: getattr(rollup, name) for name in _DURATIONS},
        }
        statement: Select[Any] = select(*columns.values(), rollup.histogram).where(
            rollup.project_id == project_id,
            rollup.status.in_(closed),
            *window.hour_clauses(rollup.hour),
        )
        if workflow is not None or "workflow" in names:
            statement = statement.join(Workflow, Workflow.id == rollup.workflow_id)
        if workflow is not None:
            statement = statement.where(Workflow.name == workflow)
        if version is not None:
            statement = statement.where(rollup.version == version)
        parts.add_rolled_up(session.execute(statement).all(), list(columns))
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
            _raw_executions(
                session, project_id, names, workflow, version, statuses, since_edge, until_edge
            )
        )
    frame = _merge(parts, names, bucket, _EXECUTION_COUNTS)
    return finish_frame(
        frame,
        _output_keys(names, bucket),
        EXECUTION_SUMMARY_COLUMNS,
        "executions",
        closed_success_rate,
    )


def _raw_executions(
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
    keys = {"workflow": Workflow.name, "version": run.version, "status": run.status}
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
        hour=_hours_of(frame.pop("started_at")),
        executions=1,
        completed=(outcome == SUCCESS).astype("int64"),
        failed=(outcome.isin(CLOSED) & (outcome != SUCCESS)).astype("int64"),
        running=(~outcome.isin(CLOSED)).astype("int64"),
    )


def _output_keys(names: Sequence[str], bucket: str | None) -> list[str]:
    return [*names, "bucket"] if bucket is not None else list(names)


def _merge(
    parts: _Parts, names: Sequence[str], bucket: str | None, counts: Sequence[str]
) -> pd.DataFrame:
    """One row per group: the counts summed, durations' mean, percentiles and maximum."""
    keys = _output_keys(names, bucket)
    if not parts.frames:
        return pd.DataFrame(
            columns=[*keys, *counts, "mean_ms", *(f"p{p}_ms" for p in PERCENTILES), "max_ms"]
        )
    frame = pd.concat(parts.frames, ignore_index=True) if len(parts.frames) > 1 else parts.frames[0]
    for name in counts:
        if name not in frame.columns:
            frame[name] = 0
    for name in ("duration_min_ms", "duration_max_ms", "duration_sum_ms"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    if bucket is not None:
        hours = frame.pop("hour").astype("int64")
        per_bucket = hours if bucket == "hour" else (hours // 24) * 24
        frame["bucket"] = per_bucket * _HOUR
    if keys:
        grouped = frame.groupby(keys, dropna=False, sort=True)
        groups = grouped.ngroup().to_numpy()
    else:
        grouped = frame.groupby(np.zeros(len(frame), dtype=np.int64))
        groups = np.zeros(len(frame), dtype=np.int64)
    merged = grouped.agg(
        **{name: (name, "sum") for name in (*counts, "timed", "duration_sum_ms")},
        lowest=("duration_min_ms", "min"),
        highest=("duration_max_ms", "max"),
    )
    merged = merged.reset_index(drop=not keys)
    percentiles = group_percentiles(
        groups,
        parts.entries,
        len(merged),
        PERCENTILES,
        merged["lowest"].to_numpy(dtype="float64"),
        merged["highest"].to_numpy(dtype="float64"),
    )
    timed = merged["timed"].to_numpy(dtype="float64")
    merged["mean_ms"] = np.where(
        timed > 0, merged["duration_sum_ms"] / np.maximum(timed, 1), np.nan
    )
    for percent, values in percentiles.items():
        merged[f"p{percent}_ms"] = values
    merged["max_ms"] = merged["highest"]
    if bucket is not None:
        merged["bucket"] = pd.to_datetime(merged["bucket"], unit="s", utc=True)
    return merged
