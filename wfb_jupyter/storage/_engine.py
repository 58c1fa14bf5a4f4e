"""Engines, sessions, and the translation of driver errors into ``StorageError``.

Where the database lives is decided by the settings (``Settings.database_url``); storage is given the URL.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from wfb_jupyter.storage._errors import (
    ConflictError,
    DatabaseBusyError,
    DatabaseFullError,
    DatabaseReadOnlyError,
    DatabaseUnavailableError,
    NotADatabaseError,
    StorageError,
)

T = TypeVar("T")

# How long one SQLite statement waits for another process's lock before the retry loop takes over.
SQLITE_BUSY_TIMEOUT_MS = 5_000
WRITE_ATTEMPTS = 8


def describe(url: str | URL) -> str:
    """Where the database is, for messages: the file path for SQLite, the URL without password otherwise."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


def create_storage_engine(url: str | URL) -> Engine:
    """A new engine configured for concurrent use: WAL, busy timeout and foreign keys on SQLite."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite":
            return create_engine(parsed, pool_pre_ping=True)
    except (ArgumentError, ImportError) as error:
        shown = url if isinstance(url, str) and "@" not in url else "the database URL"
        raise DatabaseUnavailableError(
            f"cannot use {shown}: {error}. Check WFB_DATABASE_URL; PostgreSQL needs "
            "`pip install 'wfb-jupyter[postgres]'` and a URL like postgresql+psycopg://user:pw@host/db",
            location=shown,
        ) from error
    if not parsed.database or parsed.database == ":memory:" or "mode=memory" in str(parsed):
        # Each connection would get a database of its own: the worker's thread would see no tables.
        raise DatabaseUnavailableError(
            f"{parsed.render_as_string(hide_password=True)} is an in-memory SQLite database, which only "
            "the connection that made it can see (workers and the kernel use several). Use a file, "
            "e.g. WFB_DATABASE_URL=sqlite:////tmp/wfb.db",
            location=":memory:",
        )
    _ensure_directory(Path(parsed.database))
    engine = create_engine(
        parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    )
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _ensure_directory(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseUnavailableError(
            f"cannot create the database directory {path.parent}: {error.strerror}. "
            f"Choose a writable location with WFB_DATABASE_URL=sqlite:////path/to/wfb.db",
            location=str(path),
        ) from error


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is switched off so that `_begin_immediate` decides how to begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # WAL lets readers proceed while one writer writes; the kernel and sidecar workers share the file.
        # A read-only file cannot switch modes; it stays readable and writes fail with a clear error later.
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
        except Exception as error:  # noqa: BLE001 - re-raised below unless it is the read-only case
            if "readonly" not in str(error) and "read-only" not in str(error):
                raise
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


READ_ONLY_OPTION = "wfb_read_only"


def _begin_immediate(connection: Any) -> None:
    # Taking the write lock at BEGIN means a transaction never has to upgrade a read lock to a write lock,
    # which in WAL mode fails at once (SQLITE_BUSY_SNAPSHOT) instead of waiting for the busy timeout.
    # A read-only scope needs no write lock: WAL lets it read while another connection writes.
    if connection.get_execution_options().get(READ_ONLY_OPTION):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# Every session of the package comes from here, so that its session events (workflows.py) are its own and never
# run for other sessions in the user's process. Objects stay readable after commit: notebook code keeps using
# them once the session is closed.
storage_sessions = sessionmaker(expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed when the block ends, rolled back if it raises.

    Driver errors are raised as ``StorageError`` subclasses naming the database and the fix.
    """
    session = storage_sessions(bind=engine)
    try:
        yield session
        session.commit()
    except DBAPIError as error:
        session.rollback()
        raise translate_error(error, engine.url) from error
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A session for reading only: on SQLite it takes no write lock, so it never waits behind writers.
    Anything it writes is rolled back."""
    session = storage_sessions(bind=_read_only(engine))
    try:
        yield session
    except DBAPIError as error:
        raise translate_error(error, engine.url) from error
    finally:
        session.rollback()
        session.close()


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A Core connection for reading only (no ORM session): the cheapest way to run one query.
    Like ``read_scope``, it takes no write lock on SQLite and rolls back whatever it did."""
    try:
        with _read_only(engine).connect() as connection:
            yield connection
    except DBAPIError as error:
        raise translate_error(error, engine.url) from error


_read_only_engines: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def _read_only(engine: Engine) -> Engine:
    # Made once per engine: an options engine is cheap to keep and not free to make per read.
    found = _read_only_engines.get(engine)
    if found is None:
        found = _read_only_engines[engine] = engine.execution_options(**{READ_ONLY_OPTION: True})
    return found


def run_write(engine: Engine, work: Callable[[Session], T], *, attempts: int = WRITE_ATTEMPTS) -> T:
    """Run ``work(session)`` in its own transaction, retrying with backoff while the database is busy.

    Use it for writes that race with other processes (workers recording executions and activity attempts):
    ``work`` must be safe to run again from the start, since a retried transaction starts over.
    """
    delay = 0.05
    for attempt in range(1, attempts + 1):
        try:
            with _writer_turn(engine), session_scope(engine) as session:
                return work(session)
        except DatabaseBusyError:
            if attempt == attempts:
                raise
        time.sleep(delay * (1 + random.random()))
        delay = min(delay * 2, 2.0)
    raise AssertionError("unreachable")


_writer_locks: dict[str, Any] = {}  # threading.RLock per SQLite file
_writer_locks_guard = threading.Lock()


def _writer_turn(engine: Engine) -> contextlib.AbstractContextManager[Any]:
    """On SQLite, this process's writers take turns on a lock: two of its own connections meeting at the
    file lock would otherwise wait in SQLite's busy handler, which sleeps in steps of up to 100 ms.
    Other processes are still held off by the file lock and the busy timeout."""
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    key = engine.url.render_as_string(hide_password=False)
    with _writer_locks_guard:
        lock: contextlib.AbstractContextManager[Any] = _writer_locks.setdefault(
            key, threading.RLock()
        )
    return lock


def _sqlite_location_read_only(url: str | URL) -> bool:
    """Whether a SQLite database file, or the directory that must hold its WAL files, cannot be written."""
    parsed = make_url(url)
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        return False
    path = Path(parsed.database)
    if path.exists() and not os.access(path, os.W_OK):
        return True
    return path.parent.exists() and not os.access(path.parent, os.W_OK)


_BUSY_MARKERS = (
    "database is locked",
    "database table is locked",
    "deadlock detected",
    "could not serialize",
)


def _driver_messages(error: BaseException) -> str:
    """The driver messages of an error and of those it interrupted, lowercased.

    SQLite rolls back the whole transaction on some errors (a full disk); the rollback to a savepoint that
    follows fails in turn, and only the error it interrupted says what really happened.
    """
    messages: list[str] = []
    current: BaseException | None = error
    while current is not None and len(messages) < 10:
        messages.append(str(getattr(current, "orig", current)))
        current = current.__cause__ or current.__context__
    return " | ".join(messages).lower()


def translate_error(error: DBAPIError, url: str | URL) -> StorageError:
    """The ``StorageError`` that explains a driver error to a person; a generic one when nothing matches."""
    where = describe(url)
    text = _driver_messages(error)
    if "file is not a database" in text or "database disk image is malformed" in text:
        return NotADatabaseError(
            f"{where} is not a wfb-jupyter database (or is damaged). Nothing was changed. Move the file "
            f"aside, or set WFB_DATABASE_URL to another location.",
            location=where,
        )
    read_only_markers = ("readonly database", "read-only", "permission denied")
    if any(marker in text for marker in read_only_markers) or _sqlite_location_read_only(url):
        return DatabaseReadOnlyError(
            f"cannot write to the database {where}: the file or its directory is read-only. Make it writable, "
            f"or set WFB_DATABASE_URL to a writable location.",
            location=where,
        )
    if "database or disk is full" in text or "no space left" in text or "disk full" in text:
        return DatabaseFullError(
            f"the disk holding {where} is full; the last change was rolled back and nothing stored was lost. "
            "Free some space and try again.",
            location=where,
        )
    if any(marker in text for marker in _BUSY_MARKERS):
        return DatabaseBusyError(
            f"the database {where} stayed locked by other processes (workers, kernels); try again.",
            location=where,
        )
    if isinstance(error, OperationalError) and (
        "unable to open database file" in text or "connection" in text
    ):
        return DatabaseUnavailableError(
            f"cannot open the database {where}: {str(error.orig).strip()}. Check the location and that the "
            f"server is running, or set WFB_DATABASE_URL.",
            location=where,
        )
    if isinstance(error, IntegrityError):
        return ConflictError(
            f"the change contradicts what {where} already holds: {str(error.orig).strip()}",
            location=where,
        )
    return StorageError(f"database error on {where}: {str(error.orig).strip()}", location=where)
