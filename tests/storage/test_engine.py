from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from wfb_jupyter.storage import (
    DatabaseBusyError,
    User,
    _engine,
    create_storage_engine,
    create_user,
    run_write,
    session_scope,
    upgrade_database,
)


def _users(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


class TestSessionScope:
    def test_commits_at_the_end(self, engine: Engine) -> None:
        with session_scope(engine) as session:
            create_user(session, "Ann")
        assert _users(engine) == 1

    def test_rolls_back_when_the_block_raises(self, engine: Engine) -> None:
        with pytest.raises(RuntimeError), session_scope(engine) as session:
            create_user(session, "Ann")
            raise RuntimeError("changed my mind")
        assert _users(engine) == 0

    def test_objects_stay_readable_after_the_session(self, engine: Engine) -> None:
        with session_scope(engine) as session:
            user = create_user(session, "Ann")
        assert (user.id, user.name) == ("ann", "Ann")


@pytest.fixture
def impatient_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A SQLite engine that gives up on a lock after 50 ms, so retries are exercised quickly."""
    monkeypatch.setattr(_engine, "SQLITE_BUSY_TIMEOUT_MS", 50)
    engine = create_storage_engine(f"sqlite:///{tmp_path}/wfb.db")
    upgrade_database(engine)
    return engine


def _hold_write_lock(path: str, seconds: float, locked: threading.Event) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    locked.set()
    time.sleep(seconds)
    connection.execute("COMMIT")
    connection.close()


class TestRunWrite:
    def test_waits_out_another_process_lock(self, impatient_engine: Engine) -> None:
        locked = threading.Event()
        holder = threading.Thread(
            target=_hold_write_lock, args=(impatient_engine.url.database, 0.4, locked)
        )
        holder.start()
        locked.wait(5)
        user_id = run_write(impatient_engine, lambda session: create_user(session, "Ann").id)
        holder.join()
        assert user_id == "ann" and _users(impatient_engine) == 1
        impatient_engine.dispose()

    def test_gives_up_with_a_clear_error(self, impatient_engine: Engine) -> None:
        locked = threading.Event()
        holder = threading.Thread(
            target=_hold_write_lock, args=(impatient_engine.url.database, 1.0, locked)
        )
        holder.start()
        locked.wait(5)
        with pytest.raises(DatabaseBusyError, match="stayed locked by other processes"):
            run_write(impatient_engine, lambda session: create_user(session, "Ann"), attempts=2)
        holder.join()
        assert _users(impatient_engine) == 0
        impatient_engine.dispose()
