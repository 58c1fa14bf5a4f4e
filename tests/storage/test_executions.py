from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from wfb_jupyter.storage import (
    NotFoundError,
    Project,
    close_execution,
    create_execution,
    create_project,
    get_execution,
    get_or_create_workflow,
    get_project,
    list_executions,
    list_open_executions,
    session_scope,
)

T0 = datetime(2026, 1, 2, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def workflow_id(engine: Engine, project: Project) -> int:
    with session_scope(engine) as session:
        return get_or_create_workflow(session, project.id, "orders").id


class TestCreateExecution:
    def test_records_a_running_execution(self, session: Session, workflow_id: int) -> None:
        record = create_execution(
            session, workflow_id, 2, "wf-1", "run-1", input={"n": 1}, started_at=T0
        )
        assert (record.status, record.version, record.input, record.started_at) == (
            "running",
            2,
            {"n": 1},
            T0,
        )

    def test_is_idempotent(self, session: Session, workflow_id: int) -> None:
        first = create_execution(session, workflow_id, 1, "wf-1", "run-1")
        assert create_execution(session, workflow_id, 1, "wf-1", "run-1").id == first.id


class TestCloseExecution:
    def test_result_duration_and_project_statistics(
        self, engine: Engine, project: Project, workflow_id: int
    ) -> None:
        with session_scope(engine) as session:
            create_execution(session, workflow_id, 1, "wf-1", "run-1", started_at=T0)
            create_execution(session, workflow_id, 1, "wf-2", "run-2", started_at=T0)
        with session_scope(engine) as session:
            done = close_execution(
                session,
                "wf-1",
                "run-1",
                "completed",
                result={"ok": True},
                closed_at=T0 + timedelta(seconds=1.5),
            )
            assert (done.status, done.result, done.duration_ms) == ("completed", {"ok": True}, 1500)
            close_execution(session, "wf-2", "run-2", "failed", error="boom", closed_at=T0)
        with session_scope(engine) as session:
            counters = get_project(session, project.id)
        assert (
            counters.execution_count,
            counters.execution_success_count,
            counters.execution_failure_count,
            counters.last_execution_at,
        ) == (2, 1, 1, T0)

    def test_closing_twice_counts_once(
        self, session: Session, project: Project, workflow_id: int
    ) -> None:
        create_execution(session, workflow_id, 1, "wf-1", "run-1")
        close_execution(session, "wf-1", "run-1", "completed")
        again = close_execution(session, "wf-1", "run-1", "failed", error="late")
        assert again.status == "completed"
        session.expire_all()
        assert get_project(session, project.id).execution_count == 1

    def test_unknown_run_and_bad_status(self, session: Session, workflow_id: int) -> None:
        with pytest.raises(NotFoundError):
            close_execution(session, "nope", "run", "completed")
        create_execution(session, workflow_id, 1, "wf-1", "run-1")
        with pytest.raises(ValueError, match="closed"):
            close_execution(session, "wf-1", "run-1", "running")


class TestGetExecution:
    def test_latest_run_when_no_run_id(self, session: Session, workflow_id: int) -> None:
        create_execution(session, workflow_id, 1, "wf-1", "run-1", started_at=T0)
        create_execution(
            session, workflow_id, 1, "wf-1", "run-2", started_at=T0 + timedelta(minutes=1)
        )
        assert get_execution(session, "wf-1").temporal_run_id == "run-2"
        assert get_execution(session, "wf-1", "run-1").temporal_run_id == "run-1"


class TestListExecutions:
    def test_filters_and_newest_first(
        self, session: Session, project: Project, workflow_id: int
    ) -> None:
        other_project = create_project(session, project.user_id, "other")
        other = get_or_create_workflow(session, other_project.id, "x").id
        for index in range(3):
            create_execution(
                session,
                workflow_id,
                index + 1,
                f"wf-{index}",
                "r",
                started_at=T0 + timedelta(minutes=index),
            )
        create_execution(session, other, 1, "elsewhere", "r", started_at=T0)
        close_execution(session, "wf-0", "r", "completed")
        newest_first = list_executions(session, project_id=project.id)
        assert [e.temporal_workflow_id for e in newest_first] == ["wf-2", "wf-1", "wf-0"]
        assert [
            e.version for e in list_executions(session, workflow_id=workflow_id, version=2)
        ] == [2]
        completed = list_executions(session, project_id=project.id, statuses=("completed",))
        assert [e.temporal_workflow_id for e in completed] == ["wf-0"]
        assert len(list_executions(session, project_id=project.id, limit=1)) == 1


class TestListOpenExecutions:
    def test_only_running(self, session: Session, project: Project, workflow_id: int) -> None:
        create_execution(session, workflow_id, 1, "open", "r")
        create_execution(session, workflow_id, 1, "closed", "r")
        close_execution(session, "closed", "r", "cancelled")
        assert [
            e.temporal_workflow_id for e in list_open_executions(session, project_id=project.id)
        ] == ["open"]
