"""Rollups: attempts and closed executions aggregated per hour and group, written with the records themselves.

``record_activity_attempts`` and ``record_execution_closes`` fold each batch into ``activity_rollups`` and
``execution_rollups`` in the caller's transaction: the batch's partial aggregates per rollup row, then one
upsert per table that adds the counts in SQL and stores the merged histogram. A histogram cannot be merged in
SQL, so its stored value is read first; that read-then-write never races, because both callers update their
projects' counter rows first (the row lock on PostgreSQL, held to the end of the transaction, orders every
writer of a project's rollups) and SQLite lets one writer in at a time.

``rebuild_rollups`` computes the same rows from the stored records, for the migration that introduces them.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from wfb_jupyter.storage import _histogram
from wfb_jupyter.storage._prepared import PreparedWrite
from wfb_jupyter.storage.orm import (
    CLOSED_EXECUTION_STATUSES,
    ActivityAttemptRecord,
    ActivityRollup,
    ExecutionRecord,
    ExecutionRollup,
    Workflow,
)

SECONDS_PER_HOUR = 3600
_IN_LIST_CHUNK = 400


def epoch_hour(moment: datetime) -> int:
    """The hour ``moment`` falls in, as whole hours since 1970-01-01 UTC (``moment`` is timezone-aware)."""
    return int(moment.timestamp() // SECONDS_PER_HOUR)


@dataclass
class Partial:
    """What a batch adds to one rollup row."""

    count: int = 0
    retries: int = 0
    timed: int = 0
    total_ms: int = 0
    min_ms: int | None = None
    max_ms: int | None = None
    bins: dict[int, int] = field(default_factory=dict)

    def add(self, duration_ms: int | None, retry: bool = False) -> None:
        self.count += 1
        self.retries += retry
        if duration_ms is None:
            return
        self.timed += 1
        self.total_ms += duration_ms
        if self.min_ms is None or duration_ms < self.min_ms:
            self.min_ms = duration_ms
        if self.max_ms is None or duration_ms > self.max_ms:
            self.max_ms = duration_ms
        bin_index = _histogram.bin_of(duration_ms)
        self.bins[bin_index] = self.bins.get(bin_index, 0) + 1


@dataclass(frozen=True)
class _Kind:
    """One rollup table: its key columns (after ``project_id`` and ``hour``) and its count column."""

    table: Table
    keys: tuple[str, ...]
    count: str
    has_retries: bool

    @property
    def columns(self) -> tuple[str, ...]:
        retries = ("retries",) if self.has_retries else ()
        return (
            "rollup_key",
            "project_id",
            "hour",
            *self.keys,
            self.count,
            *retries,
            "timed",
            "duration_sum_ms",
            "duration_min_ms",
            "duration_max_ms",
            "histogram",
        )

    @property
    def added(self) -> tuple[str, ...]:
        return (self.count, *(("retries",) if self.has_retries else ()), "timed", "duration_sum_ms")


ACTIVITIES = _Kind(
    cast(Table, ActivityRollup.__table__),
    ("workflow_id", "version", "step_id", "component", "status", "error_type"),
    "attempts",
    has_retries=True,
)
EXECUTIONS = _Kind(
    cast(Table, ExecutionRollup.__table__),
    ("workflow_id", "version", "status"),
    "executions",
    has_retries=False,
)

# (project_id, hour, *keys) -> what the batch adds
Partials = dict[tuple[Any, ...], Partial]


def rollup_key(identity: tuple[Any, ...]) -> str:
    """The digest naming a rollup row: its table's name, project, hour and group keys, in order."""
    return hashlib.blake2b(repr(identity).encode(), digest_size=16).hexdigest()


def fold_attempts(rows: Iterable[Mapping[str, Any]], into: Partials | None = None) -> Partials:
    """Attempt rows (with ``version``) grouped into their rollup rows' partial aggregates."""
    partials: Partials = {} if into is None else into
    for row in rows:
        key = (
            row["project_id"],
            epoch_hour(row["started_at"]),
            row["workflow_id"],
            row["version"],
            row["step_id"],
            row["component"],
            row["status"],
            row["error_type"],
        )
        partial = partials.get(key)
        if partial is None:
            partial = partials[key] = Partial()
        partial.add(row["duration_ms"], row["attempt"] > 1)
    return partials


@dataclass(frozen=True)
class ClosedRun:
    """A run that just closed, as its execution rollup counts it."""

    project_id: str
    workflow_id: int
    version: int
    status: str
    started_at: datetime
    duration_ms: int | None


def fold_closes(closed: Iterable[ClosedRun], into: Partials | None = None) -> Partials:
    partials: Partials = {} if into is None else into
    for run in closed:
        key = (run.project_id, epoch_hour(run.started_at), run.workflow_id, run.version, run.status)
        partial = partials.get(key)
        if partial is None:
            partial = partials[key] = Partial()
        partial.add(run.duration_ms)
    return partials


def add_to_activity_rollups(connection: Connection, partials: Partials) -> None:
    _add(connection, ACTIVITIES, partials)


def add_to_execution_rollups(connection: Connection, partials: Partials) -> None:
    _add(connection, EXECUTIONS, partials)


def _add(connection: Connection, kind: _Kind, partials: Partials) -> None:
    if not partials:
        return
    # Sorted, so that writers that do lock rows lock them in one order.
    named = sorted(
        (rollup_key((kind.table.name, *identity)), identity, partial)
        for identity, partial in partials.items()
    )
    stored: dict[str, bytes] = {}
    keys = [key for key, _, _ in named]
    column = kind.table.c.rollup_key
    for start in range(0, len(keys), _IN_LIST_CHUNK):
        chunk = keys[start : start + _IN_LIST_CHUNK]
        found = connection.execute(select(column, kind.table.c.histogram).where(column.in_(chunk)))
        stored.update((key, bytes(histogram or b"")) for key, histogram in found)
    rows = []
    for key, identity, partial in named:
        project_id, hour, *group = identity
        rows.append(
            {
                "rollup_key": key,
                "project_id": project_id,
                "hour": hour,
                **dict(zip(kind.keys, group, strict=True)),
                kind.count: partial.count,
                "retries": partial.retries,
                "timed": partial.timed,
                "duration_sum_ms": partial.total_ms,
                "duration_min_ms": partial.min_ms,
                "duration_max_ms": partial.max_ms,
                "histogram": _histogram.merged(stored.get(key), partial.bins),
            }
        )
    dialect = connection.dialect.name
    if dialect in ("sqlite", "postgresql"):
        _upsert(kind, dialect).execute(connection, rows)
        return
    for row in rows:  # other databases: the same under the same locks, in two statements
        if row["rollup_key"] in stored:
            connection.execute(_portable_update(kind), [row])
        else:
            connection.execute(insert(kind.table), [{c: row[c] for c in kind.columns}])


@functools.cache
def _upsert(kind: _Kind, dialect: str) -> PreparedWrite:
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(kind.table)
    new = statement.excluded
    table = kind.table
    smaller = func.least if dialect == "postgresql" else func.min
    larger = func.greatest if dialect == "postgresql" else func.max

    def combine(pick: Any, column: str) -> ColumnElement[Any]:
        mine, theirs = table.c[column], new[column]
        combined: ColumnElement[Any] = pick(
            func.coalesce(mine, theirs), func.coalesce(theirs, mine)
        )
        return combined

    upsert = statement.on_conflict_do_update(
        index_elements=["rollup_key"],
        set_={
            **{name: table.c[name] + new[name] for name in kind.added},
            "duration_min_ms": combine(smaller, "duration_min_ms"),
            "duration_max_ms": combine(larger, "duration_max_ms"),
            "histogram": new.histogram,
        },
    )
    return PreparedWrite(upsert, kind.columns)


@functools.cache
def _portable_update(kind: _Kind) -> Any:
    table = kind.table
    return (
        update(table)
        .where(table.c.rollup_key == bindparam("rollup_key"))
        .values(
            **{name: table.c[name] + bindparam(name) for name in kind.added},
            duration_min_ms=func.coalesce(
                func.min(table.c.duration_min_ms, bindparam("duration_min_ms")),
                bindparam("duration_min_ms"),
            ),
            duration_max_ms=func.coalesce(
                func.max(table.c.duration_max_ms, bindparam("duration_max_ms")),
                bindparam("duration_max_ms"),
            ),
            histogram=bindparam("histogram"),
        )
    )


def versions_of_runs(
    connection: Connection, runs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """The version each run (Temporal workflow id, run id) has in ``workflow_executions``, where it has a row."""
    executions = cast(Table, ExecutionRecord.__table__)
    wanted = set(runs)
    workflow_ids = sorted({workflow_id for workflow_id, _ in wanted})
    found: dict[tuple[str, str], int] = {}
    for start in range(0, len(workflow_ids), _IN_LIST_CHUNK):
        rows = connection.execute(
            select(
                executions.c.temporal_workflow_id,
                executions.c.temporal_run_id,
                executions.c.version,
            ).where(
                executions.c.temporal_workflow_id.in_(workflow_ids[start : start + _IN_LIST_CHUNK])
            )
        )
        for workflow_id, run_id, version in rows:
            if (workflow_id, run_id) in wanted:
                found[(workflow_id, run_id)] = version
    return found


def rebuild_rollups(connection: Connection, *, chunk: int = 20_000) -> tuple[int, int]:
    """Replace every rollup row by what the stored attempts and closed executions give; returns how many
    attempts and executions were folded. An attempt's version is its run's (NULL without an execution row)."""
    connection.execute(ACTIVITIES.table.delete())
    connection.execute(EXECUTIONS.table.delete())
    # Folded whole before writing: the rows of one rollup come in any order, and each is written once.
    attempts: Partials = {}
    attempt_count = 0
    for rows in _attempt_rows(connection, chunk):
        fold_attempts(rows, attempts)
        attempt_count += len(rows)
    _add(connection, ACTIVITIES, attempts)
    closes: Partials = {}
    close_count = 0
    for runs in _closed_runs(connection, chunk):
        fold_closes(runs, closes)
        close_count += len(runs)
    _add(connection, EXECUTIONS, closes)
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
