from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from wfb_jupyter.cli import main as wfb
from wfb_jupyter.settings import WfbSettings
from wfb_jupyter.storage import (
    Base,
    SchemaTooNewError,
    StorageError,
    create_storage_engine,
    current_revision,
    dispose_engines,
    get_engine,
    head_revision,
    session_scope,
    upgrade_database,
)
from wfb_jupyter.storage.orm import User

FIRST_REVISION = "0001"


class TestUpgradeDatabase:
    def test_fresh_database_matches_the_models(self, database_url: str) -> None:
        engine = create_storage_engine(database_url)
        try:
            assert upgrade_database(engine) == head_revision()
            with engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                assert compare_metadata(context, Base.metadata) == []
        finally:
            engine.dispose()

    def test_database_of_the_first_release_upgrades_in_place(self, database_url: str) -> None:
        engine = create_storage_engine(database_url)
        try:
            upgrade_database(engine, FIRST_REVISION)
            columns = {c["name"] for c in inspect(engine).get_columns("activity_executions")}
            assert "error_type" not in columns
            with engine.begin() as connection:
                connection.execute(
                    text("INSERT INTO users (id, name, created_at) VALUES ('old', 'Old', :at)"),
                    {"at": datetime(2025, 1, 1, tzinfo=timezone.utc).replace(tzinfo=None)},
                )
            assert upgrade_database(engine) == head_revision() != FIRST_REVISION
            columns = {c["name"] for c in inspect(engine).get_columns("activity_executions")}
            assert "error_type" in columns
            with session_scope(engine) as session:
                assert session.get(User, "old") is not None
        finally:
            engine.dispose()

    def test_running_twice_changes_nothing(self, engine: Engine) -> None:
        assert upgrade_database(engine) == head_revision() == current_revision(engine)

    def test_accepts_a_url(self, database_url: str) -> None:
        assert upgrade_database(database_url) == head_revision()

    def test_refuses_a_newer_schema_and_leaves_it_alone(self, engine: Engine) -> None:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'f00dcafe'"))
        with pytest.raises(SchemaTooNewError, match="f00dcafe.*newer version") as caught:
            upgrade_database(engine)
        assert caught.value.revision == "f00dcafe"
        assert current_revision(engine) == "f00dcafe"


class TestGetEngine:
    def test_migrates_on_first_use_and_reuses_the_engine(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path}/nested/dir/wfb.db"
        try:
            engine = get_engine(url)
            assert current_revision(engine) == head_revision()
            assert get_engine(url) is engine
        finally:
            dispose_engines()

    def test_default_location_follows_xdg_data_home(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("WFB_DATABASE_URL", raising=False)
        monkeypatch.delenv("WFB_DATA_DIR", raising=False)
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
        try:
            engine = get_engine(WfbSettings().resolve().database_url)
            assert engine.url.database == str(tmp_path / "wfb-jupyter" / "wfb.db")
            assert (tmp_path / "wfb-jupyter" / "wfb.db").exists()
        finally:
            dispose_engines()

    def test_default_location_follows_wfb_data_dir(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("WFB_DATABASE_URL", raising=False)
        monkeypatch.setenv("WFB_DATA_DIR", str(tmp_path / "mine"))
        try:
            url = WfbSettings().resolve().database_url
            assert get_engine(url).url.database == str(tmp_path / "mine" / "wfb.db")
        finally:
            dispose_engines()

    def test_wfb_database_url_overrides_the_location(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("WFB_DATABASE_URL", f"sqlite:///{tmp_path}/elsewhere.db")
        try:
            url = WfbSettings().resolve().database_url
            assert get_engine(url).url.database == f"{tmp_path}/elsewhere.db"
        finally:
            dispose_engines()

    def test_sqlite_is_configured_for_several_writing_processes(self, tmp_path: Path) -> None:
        engine = create_storage_engine(f"sqlite:///{tmp_path}/wfb.db")
        try:
            with engine.connect() as connection:
                pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
                assert (pragma("journal_mode"), pragma("foreign_keys")) == ("wal", 1)
                assert pragma("busy_timeout") >= 1000
        finally:
            engine.dispose()


class TestDbCommand:
    def test_upgrade_then_status(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        url = f"sqlite:///{tmp_path}/cli.db"
        assert wfb(["db", "upgrade", "--url", url]) == 0
        assert "upgraded from an empty database" in capsys.readouterr().out
        assert wfb(["db", "upgrade", "--url", url]) == 0
        assert "already at the newest schema revision" in capsys.readouterr().out
        assert wfb(["db", "status", "--url", url]) == 0
        assert "up to date" in capsys.readouterr().out

    def test_status_of_a_database_from_a_newer_version(
        self, engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'f00dcafe'"))
        assert wfb(["db", "status", "--url", database_url]) == 0
        assert "f00dcafe, written by a newer wfb-jupyter" in capsys.readouterr().out
        assert wfb(["db", "upgrade", "--url", database_url]) == 2
        assert "newer version" in capsys.readouterr().err

    def test_errors_are_one_line_and_exit_2(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        garbage = tmp_path / "garbage.db"
        garbage.write_bytes(b"this is not sqlite" * 100)
        assert wfb(["db", "upgrade", "--url", f"sqlite:///{garbage}"]) == 2
        error = capsys.readouterr().err
        assert error.startswith("wfb db: ") and "not a wfb-jupyter database" in error
        assert "Traceback" not in error


_SEED_0005 = (
    "INSERT INTO users (id, name, created_at) VALUES ('u', 'u', CURRENT_TIMESTAMP)",
    "INSERT INTO projects (id, user_id, name, description, task_queue, created_at, execution_count, "
    "execution_success_count, execution_failure_count, activity_attempt_count, activity_failure_count) "
    "VALUES ('p', 'u', 'p', '', 'q', CURRENT_TIMESTAMP, 0, 0, 0, 0, 0)",
    "INSERT INTO workflows (id, project_id, name, description, created_at, updated_at) "
    "VALUES (1, 'p', 'orders', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
)


def _database_at_0005(tmp_path: Path, executions: int) -> str:
    url = f"sqlite:///{tmp_path}/old.db"
    upgrade_database(url, "0005")
    engine = create_storage_engine(url)
    with engine.begin() as connection:
        for statement in _SEED_0005:
            connection.exec_driver_sql(statement)
        connection.execute(
            text(
                "INSERT INTO workflow_executions (workflow_id, version, temporal_workflow_id, "
                "temporal_run_id, status, started_at) VALUES (1, 1, :id, 'r', 'completed', "
                "CURRENT_TIMESTAMP)"
            ),
            [{"id": f"orders-{number}"} for number in range(executions)],
        )
    engine.dispose()
    return url


class TestSqliteTableRebuilds:
    """SQLite migrations that copy a table (0006 adds a foreign key to ``workflow_executions``) run with foreign
    keys off and checked before commit: with them on, dropping the old copy checked every row against the new
    one, a scan per row (9 s for 8,000 executions, hours for a real history)."""

    @pytest.mark.timeout(
        60
    )  # a guard against the quadratic drop: about 0.1 s now, about a minute before
    def test_a_large_history_upgrades_at_once_and_keeps_every_row(self, tmp_path: Path) -> None:
        url = _database_at_0005(tmp_path, executions=20_000)
        assert upgrade_database(url) == head_revision()
        engine = create_storage_engine(url)
        with engine.connect() as connection:
            assert connection.exec_driver_sql(
                "SELECT count(*) FROM workflow_executions"
            ).scalar() == (20_000)
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        engine.dispose()

    def test_rows_that_would_break_a_reference_stop_the_upgrade(self, tmp_path: Path) -> None:
        url = _database_at_0005(tmp_path, executions=3)
        engine = create_storage_engine(url)
        with engine.connect() as connection:
            driver = connection.connection.dbapi_connection
            assert driver is not None
            driver.execute("PRAGMA foreign_keys = OFF")  # as another tool might have written it
            driver.execute("UPDATE workflow_executions SET workflow_id = 99 WHERE id = 1")
            driver.execute("PRAGMA foreign_keys = ON")
        engine.dispose()
        with pytest.raises(StorageError, match="would leave 1 row"):
            upgrade_database(url)
        assert current_revision(create_storage_engine(url)) == "0005"  # nothing changed
