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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Table, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from wfb_jupyter.storage import _histogram
from wfb_jupyter.storage._histogram_sql import register_sqlite_function, sqlite_merge
from wfb_jupyter.storage._prepared import PreparedWrite, fetch_all, placeholder
from wfb_jupyter.storage.repository.rollup_fold import Partial, Partials
from wfb_jupyter.storage.rollup_tables import (
    ActivityFailureRollup,
    ActivityRollup,
    ExecutionRollup,
)

_IN_LIST_CHUNK = 400


@dataclass(frozen=True)
class _Kind:
    """One rollup table: its group keys (after ``project_id`` and ``hour``) and its aggregate columns, each
    with the ``Partial`` attribute it takes."""

    table: Table
    keys: tuple[str, ...]
    added: tuple[tuple[str, str], ...]
    smallest: tuple[tuple[str, str], ...]
    largest: tuple[tuple[str, str], ...]
    # The row of another table that this one breaks down: a column naming it, and its identity from ours.
    parent: tuple[str, Callable[[tuple[Any, ...]], str]] | None = None

    @functools.cached_property
    def columns(self) -> tuple[str, ...]:
        aggregates = [name for name, _ in (*self.added, *self.smallest, *self.largest)]
        parent = (self.parent[0],) if self.parent else ()
        return ("rollup_key", *parent, "project_id", "hour", *self.keys, *aggregates, "histogram")

    @functools.cached_property
    def _aggregates(self) -> Callable[[Partial], tuple[int | None, ...]]:
        attributes = [attribute for _, attribute in (*self.added, *self.smallest, *self.largest)]
        return operator.attrgetter(*attributes)

    @functools.cached_property
    def keyed(self) -> dict[tuple[Any, ...], str]:
        """Rollup keys by identity, remembered: a worker's commits touch the same few rollup rows hour after
        hour, and hashing costs more than looking up."""
        return {}

    def values(
        self, key: str, identity: tuple[Any, ...], partial: Partial, stored: bytes | None
    ) -> tuple[Any, ...]:
        """The row's values in ``columns`` order; a commit builds one per rollup row it touches."""
        parent = (self.parent[1](identity),) if self.parent else ()
        # project_id, hour, then the group keys, as in ``columns``
        histogram = (
            _histogram.merged(stored, partial.bins) if stored else _histogram.encode(partial.bins)
        )
        return (key, *parent, *identity, *self._aggregates(partial), histogram)

    def row(
        self, key: str, identity: tuple[Any, ...], partial: Partial, stored: bytes | None
    ) -> dict[str, Any]:
        return dict(zip(self.columns, self.values(key, identity, partial, stored), strict=True))


_TIMINGS = (("retries", "retries"), ("timed", "timed"), ("duration_sum_ms", "total_ms"))
_EXTREMES = (("duration_min_ms", "min_ms"),), (("duration_max_ms", "max_ms"),)
_ATTEMPT_KEYS = ("workflow_id", "version", "step_id", "component")

ATTEMPTS = _Kind(
    cast(Table, ActivityRollup.__table__),
    _ATTEMPT_KEYS,
    (("attempts", "count"), ("successes", "successes"), *_TIMINGS),
    (*_EXTREMES[0], ("success_min_ms", "success_min_ms")),
    (*_EXTREMES[1], ("success_max_ms", "success_max_ms")),
)
FAILURES = _Kind(
    cast(Table, ActivityFailureRollup.__table__),
    (*_ATTEMPT_KEYS, "status", "error_type"),
    (("attempts", "count"), *_TIMINGS),
    *_EXTREMES,
    parent=("attempt_rollup_key", lambda identity: rollup_key(ATTEMPTS, identity[:6])),
)
EXECUTIONS = _Kind(
    cast(Table, ExecutionRollup.__table__),
    ("workflow_id", "version", "status"),
    (("executions", "count"), *_TIMINGS[1:]),
    *_EXTREMES,
)
_REMEMBERED_KEYS = 2**14


def rollup_key(kind: _Kind, identity: tuple[Any, ...]) -> str:
    """The digest naming a rollup row: its table, project, hour and group keys, in order."""
    keyed = kind.keyed
    key = keyed.get(identity)
    if key is None:
        key = hashlib.blake2b(
            repr((kind.table.name, *identity)).encode(), digest_size=16
        ).hexdigest()
        if len(keyed) >= _REMEMBERED_KEYS:
            keyed.clear()
        keyed[identity] = key
    return key


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
            _upsert(kind, dialect).execute_values(
                connection,
                [kind.values(key, identity, partial, None) for key, identity, partial in rows],
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
