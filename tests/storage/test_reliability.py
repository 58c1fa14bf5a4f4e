"""Bad locations and bad files: each gives a typed error that says what and where, and loses nothing."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text

from wfb_jupyter.storage import (
    Component,
    DatabaseFullError,
    DatabaseReadOnlyError,
    DatabaseUnavailableError,
    NotADatabaseError,
    SchemaTooNewError,
    create_project,
    create_storage_engine,
    create_user,
    dispose_engines,
    get_engine,
    session_scope,
    store_component,
    upgrade_database,
)


def _populate(engine: Engine, components: int = 3) -> str:
    with session_scope(engine) as session:
        project = create_project(session, create_user(session, "Alice").id, "etl")
        for index in range(components):
            store_component(
                session, project.id, name=f"c{index}", function="f", source="def f(): ..."
            )
        return project.id


def _count_components(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(Component)) or 0


def _store_big_components(engine: Engine, project_id: str, count: int) -> None:
    with session_scope(engine) as session:
        for index in range(count):
            store_component(
                session,
                project_id,
                name=f"big{index}",
                function="f",
                source="x" * 200_000 + str(index),
            )


@pytest.fixture
def tiny_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs: a real disk that fills up, and can be made read-only. Needs root, as in CI."""
    mount_point = tmp_path / "mnt"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to simulate a full or read-only disk: {mounted.stderr}")
    try:
        yield mount_point
    finally:
        dispose_engines()
        subprocess.run(["umount", str(mount_point)], check=False)


class TestNotADatabase:
    def test_garbage_file_is_refused_and_left_unchanged(self, tmp_path: Path) -> None:
        path = tmp_path / "wfb.db"
        original = b"name,value\n" + b"precious,1\n" * 1000
        path.write_bytes(original)
        with pytest.raises(
            NotADatabaseError, match=f"{path} is not a wfb-jupyter database"
        ) as caught:
            get_engine(f"sqlite:///{path}")
        assert "WFB_DATABASE_URL" in str(caught.value) and caught.value.location == str(path)
        assert path.read_bytes() == original


class TestNewerSchema:
    def test_refused_and_file_bytes_unchanged(self, tmp_path: Path) -> None:
        path = tmp_path / "wfb.db"
        engine = create_storage_engine(f"sqlite:///{path}")
        upgrade_database(engine)
        _populate(engine)
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'ffff9999'"))
        engine.dispose()
        before = path.read_bytes()
        with pytest.raises(SchemaTooNewError, match="Upgrade wfb-jupyter"):
            get_engine(f"sqlite:///{path}")
        dispose_engines()
        assert path.read_bytes() == before


class TestUnusableLocation:
    def test_unknown_backend(self) -> None:
        with pytest.raises(DatabaseUnavailableError, match="nosuchdb://x.*WFB_DATABASE_URL"):
            get_engine("nosuchdb://x")

    def test_server_not_running(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        url = f"postgresql+psycopg://someone:secret@127.0.0.1:{port}/db"
        with pytest.raises(DatabaseUnavailableError, match="server is running") as caught:
            get_engine(url)
        assert "secret" not in str(caught.value)

    def test_directory_that_cannot_be_created(self, tmp_path: Path) -> None:
        blocker = tmp_path / "a-file"
        blocker.write_text("not a directory")
        with pytest.raises(DatabaseUnavailableError, match="cannot create the database directory"):
            get_engine(f"sqlite:///{blocker}/wfb.db")

    def test_read_only_filesystem(self, tiny_filesystem: Path) -> None:
        url = f"sqlite:///{tiny_filesystem}/wfb.db"
        engine = get_engine(url)
        _populate(engine)
        dispose_engines()
        before = (tiny_filesystem / "wfb.db").read_bytes()
        subprocess.run(["mount", "-o", "remount,ro", str(tiny_filesystem)], check=True)
        with pytest.raises(DatabaseReadOnlyError, match="read-only.*WFB_DATABASE_URL"):
            get_engine(url)
        subprocess.run(["mount", "-o", "remount,rw", str(tiny_filesystem)], check=True)
        assert (tiny_filesystem / "wfb.db").read_bytes() == before

    def test_database_opened_read_only(self, tmp_path: Path) -> None:
        path = tmp_path / "wfb.db"
        writable = get_engine(f"sqlite:///{path}")
        project_id = _populate(writable)
        read_only = create_storage_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
        try:
            with pytest.raises(DatabaseReadOnlyError, match=str(path)):
                _store_big_components(read_only, project_id, 1)
        finally:
            read_only.dispose()
        assert _count_components(writable) == 3
        dispose_engines()


class TestDiskFull:
    def test_real_full_disk_rolls_back_and_keeps_what_was_stored(
        self, tiny_filesystem: Path
    ) -> None:
        engine = get_engine(f"sqlite:///{tiny_filesystem}/wfb.db")
        project_id = _populate(engine)
        with pytest.raises(DatabaseFullError, match="full.*nothing stored was lost"):
            _store_big_components(engine, project_id, 20)
        dispose_engines()
        engine = get_engine(f"sqlite:///{tiny_filesystem}/wfb.db")
        assert _count_components(engine) == 3
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"

    def test_size_limit_reached(self, tmp_path: Path) -> None:
        engine = create_storage_engine(f"sqlite:///{tmp_path}/wfb.db")
        upgrade_database(engine)
        project_id = _populate(engine)

        def limit_size(dbapi_connection: Any, _record: Any) -> None:
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 20}")

        engine.dispose()
        event.listen(engine, "connect", limit_size)
        try:
            with pytest.raises(DatabaseFullError, match=str(tmp_path)):
                _store_big_components(engine, project_id, 5)
            assert _count_components(engine) == 3
        finally:
            engine.dispose()
