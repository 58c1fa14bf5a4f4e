"""Batched writes run on the driver's cursor: a Core statement compiled once per dialect, then ``executemany``.

The group commit runs a few small batches many times a second (execution starts and closes, activity attempts
and their statistics). For batches that small, SQLAlchemy's per-execution work (the compiled-cache lookup, an
execution context, parameter processing through its generic machinery) costs several times what the database
does. A ``PreparedWrite`` keeps the SQL text and the bind processors of each dialect and does only what the
statement needs: the same types, the same transaction, errors wrapped as SQLAlchemy would wrap them.

Column defaults computed in Python are not applied: every row gives every parameter the statement names, and
a missing one is a ``KeyError`` naming it.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import UpdateBase

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # Per placeholder (in order, for a positional dialect): its name, the row key giving its value (None for a
    # constant of the statement), the type's processor, and the constant's processed value.
    parameters: tuple[tuple[str, str | None, Processor, Any], ...]
    positional: bool
    # Where each placeholder's value is in a row of ``columns`` values, when every placeholder takes one (no
    # constant): what ``execute_values`` needs.
    order: tuple[int, ...] | None = None


class PreparedWrite:
    """An INSERT, UPDATE or upsert run with many parameter sets in the caller's transaction."""

    def __init__(self, statement: UpdateBase, columns: Sequence[str] | None = None) -> None:
        """``columns``: for an INSERT, the columns the rows give (the statement is compiled for them)."""
        self._statement = statement
        self._columns = list(columns) if columns is not None else None
        self._compiled: dict[str, _Compiled] = {}

    def execute(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        dialect = connection.dialect
        compiled = self._compiled.get(dialect.name) or self._compile(dialect)
        self._run(connection, compiled, _parameters(compiled, rows))

    def execute_values(self, connection: Connection, rows: Sequence[Sequence[Any]]) -> None:
        """``execute`` with each row given as its values in ``columns`` order: no mapping built per row,
        for the statements run on every commit with a row per group touched."""
        if not rows:
            return
        dialect = connection.dialect
        compiled = self._compiled.get(dialect.name) or self._compile(dialect)
        order = compiled.order
        if order is None:
            columns = self._columns or []
            self.execute(connection, [dict(zip(columns, row, strict=True)) for row in rows])
            return
        pick = operator.itemgetter(*order)
        values = [list(pick(row)) for row in rows]
        for at, (_, _, process, _) in enumerate(compiled.parameters):
            if process is not None:
                for value in values:
                    value[at] = process(value[at])
        if compiled.positional:
            self._run(connection, compiled, values)
            return
        names = [name for name, *_ in compiled.parameters]
        self._run(connection, compiled, [dict(zip(names, value, strict=True)) for value in values])

    def _run(self, connection: Connection, compiled: _Compiled, parameters: list[Any]) -> None:
        dialect = connection.dialect
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(compiled.sql, parameters)
        except dialect.loaded_dbapi.Error as error:
            raise DBAPIError.instance(
                compiled.sql, parameters, error, dialect.loaded_dbapi.Error, dialect=dialect
            ) from error
        finally:
            cursor.close()

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self._statement.compile(dialect=dialect, column_keys=self._columns)
        parameters: list[tuple[str, str | None, Any, Any]] = []
        for name in compiled.positiontup or compiled.binds:
            bind = compiled.binds[name]
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if bind.required:
                parameters.append((name, bind.key, process, None))
            else:  # a literal of the statement (``status == 'running'``)
                value = bind.effective_value
                parameters.append((name, None, None, value if process is None else process(value)))
        columns = self._columns or []
        taken = all(key in columns for _, key, _, _ in parameters) and len(parameters) > 1
        order = tuple(columns.index(str(key)) for _, key, _, _ in parameters) if taken else None
        prepared = _Compiled(compiled.string, tuple(parameters), dialect.positional, order)
        self._compiled[dialect.name] = prepared
        return prepared


def _parameters(compiled: _Compiled, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
    parameters = compiled.parameters
    values = [
        [
            constant if key is None else row[key] if process is None else process(row[key])
            for _, key, process, constant in parameters
        ]
        for row in rows
    ]
    if compiled.positional:
        return values
    names = [name for name, *_ in parameters]
    return [dict(zip(names, row, strict=True)) for row in values]


def fetch_all(connection: Connection, sql: str, parameters: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run a SELECT written for the driver's positional placeholders (``placeholder``) on its cursor: for a
    small lookup made on every commit, where building and caching a Core statement costs more than the query."""
    dialect = connection.dialect
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, tuple(parameters))
        return list(cursor.fetchall())
    except dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(
            sql, parameters, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error
    finally:
        cursor.close()


@contextlib.contextmanager
def one_round_trip(connection: Connection) -> Iterator[None]:
    """Send the writes made in the block to the server together and wait once for all their results
    (psycopg's pipeline mode, on PostgreSQL): on a server across a network, waiting costs more per statement
    than running it. The statements still run in order, in the caller's transaction; a failure surfaces as
    a ``DBAPIError`` at the end of the block at the latest, and a read made inside the block waits for
    everything sent before it. Elsewhere the block runs as it is."""
    dialect = connection.dialect
    pipeline = getattr(connection.connection.driver_connection, "pipeline", None)
    if dialect.name != "postgresql" or pipeline is None:
        yield
        return
    try:
        with pipeline():
            yield
    except dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(
            "(pipelined writes)", None, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error


def placeholder(dialect: Dialect) -> str | None:
    """The driver's positional placeholder, or None when it takes named parameters only."""
    return {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)
