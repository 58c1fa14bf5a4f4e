"""read_scope: reads without the write lock, and never keeps what it wrote."""

from __future__ import annotations

import threading

from sqlalchemy import text

from wfb_jupyter.storage import create_storage_engine, read_scope, session_scope, upgrade_database


def test_reads_while_another_connection_holds_the_write_lock(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    upgrade_database(url)
    engine = create_storage_engine(url)
    locked, release = threading.Event(), threading.Event()

    def writer() -> None:
        with session_scope(engine) as session:
            session.execute(
                text("INSERT INTO users (id, name, created_at) VALUES ('w', 'w', '2026-01-01')")
            )
            locked.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    assert locked.wait(10)
    with read_scope(engine) as session:  # would wait for the busy timeout if it took the write lock
        assert session.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
    release.set()
    thread.join()
    with read_scope(engine) as session:
        session.execute(text("DELETE FROM users"))
    with read_scope(engine) as session:
        assert session.execute(text("SELECT count(*) FROM users")).scalar_one() == 1
    engine.dispose()
