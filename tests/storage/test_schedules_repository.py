"""Workflow schedules and the execution columns of scheduled runs and re-runs, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session

from wfb_jupyter.storage import (
    ConflictError,
    ExecutionStart,
    NotFoundError,
    Project,
    ScheduleSettings,
    create_storage_engine,
    delete_schedule,
    find_execution,
    find_schedule,
    get_or_create_workflow,
    get_schedule,
    has_schedules,
    head_revision,
    list_schedules,
    record_execution_starts,
    recorded_runs,
    save_schedule,
    session_scope,
    update_schedule,
    upgrade_database,
)
from wfb_jupyter.storage._migrations import _config


@pytest.fixture
def workflow_id(engine: Engine, project: Project) -> int:
    with session_scope(engine) as session:
        return get_or_create_workflow(session, project.id, "orders").id


def settings(project: Project, workflow_id: int, **changes: object) -> ScheduleSettings:
    values: dict[str, object] = {
        "project_id": project.id,
        "workflow_id": workflow_id,
        "schedule_id": "wfb-q.orders",
        "version": 1,
        "every": "15m",
        "inputs": {"n": 1},
    }
    values.update(changes)
    return ScheduleSettings(**values)  # type: ignore[arg-type]


class TestSaveSchedule:
    def test_stores_what_fires_when(self, session: Session, project: Project, workflow_id: int):
        row = save_schedule(
            session,
            settings(project, workflow_id, cron="0 7 * * MON-FRI", every=None, timezone="UTC"),
        )
        assert (row.cron, row.timezone, row.every, row.inputs) == (
            "0 7 * * MON-FRI",
            "UTC",
            None,
            {"n": 1},
        )
        assert (row.overlap, row.paused, row.pinned_version, row.version) == (
            "skip",
            False,
            None,
            1,
        )

    def test_replaces_the_workflows_schedule_and_unpauses_it(
        self, engine: Engine, project: Project, workflow_id: int
    ) -> None:
        with session_scope(engine) as session:
            first = save_schedule(session, settings(project, workflow_id)).id
            update_schedule(session, "wfb-q.orders", paused=True, problem="old")
        with session_scope(engine) as session:
            row = save_schedule(session, settings(project, workflow_id, every="1h", inputs={}))
            assert (row.id, row.every, row.inputs, row.paused, row.problem) == (
                first,
                "1h",
                {},
                False,
                None,
            )
            assert len(list_schedules(session, project.id)) == 1

    def test_one_schedule_id_belongs_to_one_workflow(
        self, engine: Engine, project: Project, workflow_id: int
    ) -> None:
        with session_scope(engine) as session:
            other = get_or_create_workflow(session, project.id, "other").id
            save_schedule(session, settings(project, workflow_id))
        with pytest.raises(ConflictError), session_scope(engine) as session:
            save_schedule(session, settings(project, other))


class TestFindAndList:
    def test_find_get_list_has(self, session: Session, project: Project, workflow_id: int) -> None:
        assert find_schedule(session, workflow_id) is None
        assert not has_schedules(session, project.id)
        save_schedule(session, settings(project, workflow_id))
        assert find_schedule(session, workflow_id).schedule_id == "wfb-q.orders"
        assert get_schedule(session, "wfb-q.orders").workflow_id == workflow_id
        assert [row.schedule_id for row in list_schedules(session, project.id)] == ["wfb-q.orders"]
        assert has_schedules(session, project.id)

    def test_get_of_an_unknown_schedule(self, session: Session) -> None:
        with pytest.raises(NotFoundError):
            get_schedule(session, "nope")


class TestUpdateSchedule:
    def test_changes_state_only(self, session: Session, project: Project, workflow_id: int):
        save_schedule(session, settings(project, workflow_id))
        row = update_schedule(session, "wfb-q.orders", paused=True, version=3, problem="why")
        assert (row.paused, row.version, row.problem) == (True, 3, "why")
        with pytest.raises(ValueError, match="inputs cannot be changed"):
            update_schedule(session, "wfb-q.orders", inputs={})


class TestDeleteSchedule:
    def test_forgets_it(self, session: Session, project: Project, workflow_id: int) -> None:
        save_schedule(session, settings(project, workflow_id))
        assert delete_schedule(session, "wfb-q.orders")
        assert not delete_schedule(session, "wfb-q.orders")
        assert list_schedules(session, project.id) == []


class TestScheduledAndRerunExecutions:
    def test_start_records_schedule_and_rerun_columns(
        self, engine: Engine, workflow_id: int
    ) -> None:
        with session_scope(engine) as session:
            record_execution_starts(
                session,
                [
                    ExecutionStart(
                        workflow_id, 1, "wfb-q.orders-2026", "r1", schedule_id="wfb-q.orders"
                    )
                ],
            )
            original = find_execution(session, "wfb-q.orders-2026", "r1")
            assert original is not None and original.schedule_id == "wfb-q.orders"
            record_execution_starts(
                session,
                [
                    ExecutionStart(
                        workflow_id,
                        1,
                        "wfb-q.orders-2026",
                        "r2",
                        rerun_of=original.id,
                        from_step="b",
                    )
                ],
            )
        with session_scope(engine) as session:
            rerun = find_execution(session, "wfb-q.orders-2026", "r2")
            assert rerun is not None
            assert (rerun.rerun_of, rerun.from_step, rerun.schedule_id) == (original.id, "b", None)
            assert recorded_runs(
                session, [("wfb-q.orders-2026", "r1"), ("wfb-q.orders-2026", "r3"), ("x", "r1")]
            ) == {("wfb-q.orders-2026", "r1")}


class TestMigration:
    def test_upgrade_from_0003_keeps_executions_and_downgrade_removes_the_schema(
        self, database_url: str
    ) -> None:
        engine = create_storage_engine(database_url)
        try:
            upgrade_database(engine, "0003")
            at = datetime(2026, 1, 1, tzinfo=timezone.utc).replace(tzinfo=None)
            with engine.begin() as connection:
                connection.execute(
                    text("INSERT INTO users (id, name, created_at) VALUES ('u', 'U', :at)"),
                    {"at": at},
                )
                connection.execute(
                    text(
                        "INSERT INTO projects (id, user_id, name, description, task_queue, created_at,"
                        " execution_count, execution_success_count, execution_failure_count,"
                        " activity_attempt_count, activity_failure_count)"
                        " VALUES ('p', 'u', 'P', '', 'u-p', :at, 0, 0, 0, 0, 0)"
                    ),
                    {"at": at},
                )
                connection.execute(
                    text(
                        "INSERT INTO workflows (id, project_id, name, description, created_at, updated_at)"
                        " VALUES (1, 'p', 'w', '', :at, :at)"
                    ),
                    {"at": at},
                )
                connection.execute(
                    text(
                        "INSERT INTO workflow_executions (workflow_id, version, temporal_workflow_id,"
                        " temporal_run_id, status, started_at) VALUES (1, 1, 'w-1', 'r', 'running', :at)"
                    ),
                    {"at": at},
                )
            assert upgrade_database(engine) == head_revision()
            assert "workflow_schedules" in inspect(engine).get_table_names()
            with session_scope(engine) as session:
                row = find_execution(session, "w-1")
                assert row is not None and (row.schedule_id, row.rerun_of, row.from_step) == (
                    None,
                    None,
                    None,
                )
            with engine.begin() as connection:
                config = _config(connection)
                command.downgrade(config, "0003")
            assert "workflow_schedules" not in inspect(engine).get_table_names()
            columns = {c["name"] for c in inspect(engine).get_columns("workflow_executions")}
            assert not columns & {"schedule_id", "rerun_of", "from_step"}
        finally:
            engine.dispose()
