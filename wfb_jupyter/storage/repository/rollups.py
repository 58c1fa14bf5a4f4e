"""Rollups: attempts and closed executions aggregated per hour and group, written with the records themselves.

``record_activity_attempts`` and ``record_execution_closes`` fold each batch into ``activity_rollups`` (and, for
failed attempts, ``activity_failure_rollups``) and ``execution_rollups`` in the caller's transaction: the
batch's partial aggregates per rollup row, then one upsert per table that adds the counts in SQL. SQLite
merges the histogram in the upsert too (``storage._histogram_sql``); elsewhere the stored histograms are read
first (one query for a commit's tables) and the merged ones written. That read-then-write never races, because
both callers update their projects' counter rows first (the row lock on PostgreSQL, held to the end of the
transaction, orders every writer of a project's rollups) and SQLite lets one writer in at a time.
"""

from __future__ import annotations

import functools
import hashlib
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Table, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from wfb_jupyter.storage import _histogram
from wfb_jupyter.storage._histogram_sql import register_sqlite_function, sqlite_merge
from wfb_jupyter.storage._prepared import PreparedWrite, fetch_all, placeholder
from wfb_jupyter.storage.orm import (
    ActivityFailureRollup,
    ActivityRollup,
    ExecutionRollup,
)

SECONDS_PER_HOUR = 3600
SUCCESS = "completed"
_IN_LIST_CHUNK = 400


def epoch_hour(moment: datetime) -> int:
    """The hour ``moment`` falls in, as whole hours since 1970-01-01 UTC (``moment`` is timezone-aware)."""
    return int(moment.timestamp() // SECONDS_PER_HOUR)


def _smaller(mine: int | None, theirs: int) -> int:
    return theirs if mine is None or theirs < mine else mine


def _larger(mine: int | None, theirs: int) -> int:
    return theirs if mine is None or theirs > mine else mine


@dataclass
class Partial:
    """What a batch adds to one rollup row."""

    count: int = 0
    successes: int = 0
    retries: int = 0
    timed: int = 0
    total_ms: int = 0
    min_ms: int | None = None
    max_ms: int | None = None
    success_min_ms: int | None = None
    success_max_ms: int | None = None
    bins: dict[int, int] = field(default_factory=dict)

    def add(self, duration_ms: int | None, retry: bool = False, success: bool = False) -> None:
        self.count += 1
        self.retries += retry
        self.successes += success
        if duration_ms is None:
            return
        self.timed += 1
        self.total_ms += duration_ms
        self.min_ms = _smaller(self.min_ms, duration_ms)
        self.max_ms = _larger(self.max_ms, duration_ms)
        if success:
            self.success_min_ms = _smaller(self.success_min_ms, duration_ms)
            self.success_max_ms = _larger(self.success_max_ms, duration_ms)
        bin_index = _histogram.bin_of(duration_ms)
        self.bins[bin_index] = self.bins.get(bin_index, 0) + 1


# (project_id, hour, *group keys) -> what the batch adds
Partials = dict[tuple[Any, ...], Partial]


@dataclass(frozen=True)
class _Kind:
    """One rollup table: its group keys (after ``project_id`` and ``hour``) and its aggregate columns, each
    with what it takes from a ``Partial``."""

    table: Table
    keys: tuple[str, ...]
    added: tuple[tuple[str, Callable[[Partial], int]], ...]
    smallest: tuple[tuple[str, Callable[[Partial], int | None]], ...]
    largest: tuple[tuple[str, Callable[[Partial], int | None]], ...]
    # The row of another table that this one breaks down: a column naming it, and its identity from ours.
    parent: tuple[str, Callable[[tuple[Any, ...]], str]] | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        aggregates = [name for name, _ in (*self.added, *self.smallest, *self.largest)]
        parent = (self.parent[0],) if self.parent else ()
        return ("rollup_key", *parent, "project_id", "hour", *self.keys, *aggregates, "histogram")

    def row(
        self, key: str, identity: tuple[Any, ...], partial: Partial, stored: bytes | None
    ) -> Any:
        project_id, hour, *group = identity
        parent = {self.parent[0]: self.parent[1](identity)} if self.parent else {}
        return {
            "rollup_key": key,
            **parent,
            "project_id": project_id,
            "hour": hour,
            **dict(zip(self.keys, group, strict=True)),
            **{name: take(partial) for name, take in (*self.added, *self.smallest, *self.largest)},
            "histogram": _histogram.merged(stored, partial.bins),
        }


_TIMINGS: tuple[tuple[str, Callable[[Partial], int]], ...] = (
    ("retries", lambda p: p.retries),
    ("timed", lambda p: p.timed),
    ("duration_sum_ms", lambda p: p.total_ms),
)
_EXTREMES = (("duration_min_ms", lambda p: p.min_ms),), (("duration_max_ms", lambda p: p.max_ms),)
_ATTEMPT_KEYS = ("workflow_id", "version", "step_id", "component")

ATTEMPTS = _Kind(
    cast(Table, ActivityRollup.__table__),
    _ATTEMPT_KEYS,
    (("attempts", lambda p: p.count), ("successes", lambda p: p.successes), *_TIMINGS),
    (*_EXTREMES[0], ("success_min_ms", lambda p: p.success_min_ms)),
    (*_EXTREMES[1], ("success_max_ms", lambda p: p.success_max_ms)),
)
FAILURES = _Kind(
    cast(Table, ActivityFailureRollup.__table__),
    (*_ATTEMPT_KEYS, "status", "error_type"),
    (("attempts", lambda p: p.count), *_TIMINGS),
    *_EXTREMES,
    parent=("attempt_rollup_key", lambda identity: rollup_key(ATTEMPTS, identity[:6])),
)
EXECUTIONS = _Kind(
    cast(Table, ExecutionRollup.__table__),
    ("workflow_id", "version", "status"),
    (("executions", lambda p: p.count), *_TIMINGS[1:]),
    *_EXTREMES,
)


def rollup_key(kind: _Kind, identity: tuple[Any, ...]) -> str:
    """The digest naming a rollup row: its table, project, hour and group keys, in order."""
    return hashlib.blake2b(repr((kind.table.name, *identity)).encode(), digest_size=16).hexdigest()


def fold_attempts(
    rows: Iterable[Mapping[str, Any]], into: tuple[Partials, Partials] | None = None
) -> tuple[Partials, Partials]:
    """Attempt rows (with ``version``) as the partial aggregates of their rollup rows: every attempt's, and
    the failures' per status and error type (``Partial.add`` per attempt gives the same)."""
    attempts, failures = ({}, {}) if into is None else into
    # This runs for every attempt recorded, so the loop over rows only groups them; each group's aggregates
    # are then taken with builtins over its columns (sum, min, max, list.count, Counter), which cost a
    # fraction of updating a Partial attempt by attempt.
    groups: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        key = (
            row["project_id"],
            int(row["started_at"].timestamp() // SECONDS_PER_HOUR),  # epoch_hour
            row["workflow_id"],
            row["version"],
            row["step_id"],
            row["component"],
        )
        group = groups.get(key)
        if group is None:
            groups[key] = [row]
        else:
            group.append(row)
    for key, group in groups.items():
        statuses = list(map(_STATUS, group))
        durations = list(map(_DURATION, group))
        partial = attempts.get(key)
        if partial is None:
            partial = attempts[key] = Partial()
        successes = statuses.count(SUCCESS)
        _absorb(partial, group, durations)
        partial.successes += successes
        if successes:
            timed = [
                d
                for s, d in zip(statuses, durations, strict=True)
                if s == SUCCESS and d is not None
            ]
            if timed:
                partial.success_min_ms = _smaller(partial.success_min_ms, min(timed))
                partial.success_max_ms = _larger(partial.success_max_ms, max(timed))
        if successes == len(group):
            continue
        failed: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
        for row, status in zip(group, statuses, strict=True):
            if status != SUCCESS:
                failed.setdefault((*key, status, row["error_type"]), []).append(row)
        for failure_key, failed_rows in failed.items():
            failure = failures.get(failure_key)
            if failure is None:
                failure = failures[failure_key] = Partial()
            _absorb(failure, failed_rows, list(map(_DURATION, failed_rows)))
    return attempts, failures


_STATUS = operator.itemgetter("status")
_DURATION = operator.itemgetter("duration_ms")
_ATTEMPT = operator.itemgetter("attempt")


def _absorb(partial: Partial, rows: list[Mapping[str, Any]], durations: list[int | None]) -> None:
    """Add attempts to a partial: everything but the successes (only an attempt rollup counts them)."""
    partial.count += len(rows)
    partial.retries += sum(map((1).__lt__, map(_ATTEMPT, rows)))  # attempt > 1
    # Most batches time every attempt: then the list is kept as it is.
    timed = [d for d in durations if d is not None] if None in durations else durations
    if not timed:
        return
    timed_ms = cast(list[int], timed)
    partial.timed += len(timed_ms)
    partial.total_ms += sum(timed_ms)
    partial.min_ms = _smaller(partial.min_ms, min(timed_ms))
    partial.max_ms = _larger(partial.max_ms, max(timed_ms))
    bins = partial.bins
    # Durations repeat (whole milliseconds), so each distinct one is binned once.
    for duration, count in Counter(timed_ms).items():
        bin_index = _histogram.bin_of(duration)
        bins[bin_index] = bins.get(bin_index, 0) + count


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
        partial.add(run.duration_ms, success=run.status == SUCCESS)
    return partials


def add_to_activity_rollups(connection: Connection, partials: tuple[Partials, Partials]) -> None:
    attempts, failures = partials
    _add(connection, ((ATTEMPTS, attempts), (FAILURES, failures)))


def add_to_execution_rollups(connection: Connection, partials: Partials) -> None:
    _add(connection, ((EXECUTIONS, partials),))


def add_to_rollups(connection: Connection, kind: _Kind, partials: Partials) -> None:
    _add(connection, ((kind, partials),))


Named = list[tuple[str, tuple[Any, ...], Partial]]  # (rollup key, identity, partial), by key


def _add(connection: Connection, batches: Iterable[tuple[_Kind, Partials]]) -> None:
    # Sorted, so that writers that do lock rows lock them in one order.
    named: list[tuple[_Kind, Named]] = [
        (
            kind,
            sorted((rollup_key(kind, identity), identity, p) for identity, p in partials.items()),
        )
        for kind, partials in batches
        if partials
    ]
    if not named:
        return
    dialect = connection.dialect.name
    if dialect == "sqlite":
        register_sqlite_function(connection)
        for kind, rows in named:
            _upsert(kind, dialect).execute(
                connection,
                [kind.row(key, identity, partial, None) for key, identity, partial in rows],
            )
        return
    stored = _stored_histograms(
        connection, [(kind.table, [key for key, _, _ in rows]) for kind, rows in named]
    )
    for kind, rows in named:
        values = [kind.row(key, identity, p, stored.get(key)) for key, identity, p in rows]
        if dialect == "postgresql":
            _upsert(kind, dialect).execute(connection, values)
        else:
            _add_portably(connection, kind, values, stored)


def _add_portably(
    connection: Connection, kind: _Kind, rows: list[Any], stored: Mapping[str, bytes]
) -> None:
    """Other databases: the same under the same locks, in two statements."""
    table = kind.table
    for row in rows:
        if row["rollup_key"] not in stored:
            connection.execute(insert(table), [row])
            continue
        current = connection.execute(
            select(table).where(table.c.rollup_key == row["rollup_key"])
        ).one()
        combined = {name: current._mapping[name] + row[name] for name, _ in kind.added}
        for group, pick in ((kind.smallest, min), (kind.largest, max)):
            for name, _ in group:
                values = [v for v in (current._mapping[name], row[name]) if v is not None]
                combined[name] = pick(values) if values else None
        connection.execute(
            table.update()
            .where(table.c.rollup_key == row["rollup_key"])
            .values(**combined, histogram=row["histogram"])
        )


def _stored_histograms(
    connection: Connection, wanted: Sequence[tuple[Table, list[str]]]
) -> dict[str, bytes]:
    """The stored histograms of these rollup rows, by key (keys name their table, so never collide), in
    as few queries as the IN lists allow: one for a commit's attempt and failure rollups together."""
    stored: dict[str, bytes] = {}
    mark = placeholder(connection.dialect)
    parts = [
        (table, keys[start : start + _IN_LIST_CHUNK])
        for table, keys in wanted
        for start in range(0, len(keys), _IN_LIST_CHUNK)
    ]
    if mark is None:
        for table, chunk in parts:
            column = table.c.rollup_key
            found = connection.execute(select(column, table.c.histogram).where(column.in_(chunk)))
            stored.update((key, bytes(histogram or b"")) for key, histogram in found)
        return stored
    query: list[tuple[Table, list[str]]] = []
    for part in [*parts, None]:
        if query and (
            part is None or sum(len(c) for _, c in query) + len(part[1]) > _IN_LIST_CHUNK
        ):
            sql = _lookup_sql(tuple((table.name, len(chunk)) for table, chunk in query), mark)
            found_rows = fetch_all(connection, sql, [key for _, chunk in query for key in chunk])
            stored.update((key, bytes(histogram or b"")) for key, histogram in found_rows)
            query = []
        if part is not None:
            query.append(part)
    return stored


@functools.cache
def _lookup_sql(parts: tuple[tuple[str, int], ...], mark: str) -> str:
    # Written by hand: this runs on every commit, and a Core select with an IN list costs a millisecond to
    # build and look up in the statement cache, several times what the query costs.
    return " UNION ALL ".join(
        f"SELECT rollup_key, histogram FROM {table} WHERE rollup_key IN ({', '.join([mark] * count)})"  # noqa: S608
        for table, count in parts
    )


@functools.cache
def _upsert(kind: _Kind, dialect: str) -> PreparedWrite:
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(kind.table)
    new = statement.excluded
    table = kind.table
    smaller = func.least if dialect == "postgresql" else func.min
    larger = func.greatest if dialect == "postgresql" else func.max

    def combine(pick: Any, column: str) -> ColumnElement[Any]:
        # Either side may be NULL (nothing timed yet); COALESCE keeps the other side then.
        mine, theirs = table.c[column], new[column]
        combined: ColumnElement[Any] = pick(
            func.coalesce(mine, theirs), func.coalesce(theirs, mine)
        )
        return combined

    upsert = statement.on_conflict_do_update(
        index_elements=["rollup_key"],
        set_={
            **{name: table.c[name] + new[name] for name, _ in kind.added},
            **{name: combine(smaller, name) for name, _ in kind.smallest},
            **{name: combine(larger, name) for name, _ in kind.largest},
            # SQLite merges the stored histogram in the statement; PostgreSQL's was read and merged first.
            "histogram": (
                sqlite_merge(f"{table.name}.histogram", "excluded.histogram")
                if dialect == "sqlite"
                else new.histogram
            ),
        },
    )
    return PreparedWrite(upsert, kind.columns)
