from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from wfb_jupyter.storage import (
    ActivityAttempt,
    Project,
    get_activity_statistics,
    get_or_create_workflow,
    get_project,
    list_activity_attempts,
    record_activity_attempts,
    session_scope,
)

T0 = datetime(2026, 1, 2, 10, 0, tzinfo=timezone.utc)


def attempt(
    project_id: str,
    component: str = "http_request",
    *,
    ms: int | None = 100,
    status: str = "completed",
    number: int = 1,
    workflow_id: int | None = None,
    run: str = "run-1",
    start: int = 0,
) -> ActivityAttempt:
    started = T0 + timedelta(seconds=start)
    return ActivityAttempt(
        project_id=project_id,
        workflow_id=workflow_id,
        temporal_workflow_id="wf-1",
        temporal_run_id=run,
        step_id=f"step-{component}",
        component=component,
        attempt=number,
        status=status,
        scheduled_at=started,
        started_at=started,
        finished_at=None if ms is None else started + timedelta(milliseconds=ms),
        error=None if status == "completed" else "boom",
        error_type=None if status == "completed" else "HttpError",
    )


@pytest.fixture
def workflow_id(engine: Engine, project: Project) -> int:
    with session_scope(engine) as session:
        return get_or_create_workflow(session, project.id, "orders").id


class TestRecordActivityAttempts:
    def test_inserts_every_attempt_with_its_duration(
        self, session: Session, project: Project
    ) -> None:
        rows = [attempt(project.id, ms=250), attempt(project.id, "log", ms=None, start=1)]
        assert record_activity_attempts(session, rows) == 2
        stored = list_activity_attempts(session, "wf-1")
        assert [(a.component, a.duration_ms) for a in stored] == [
            ("http_request", 250),
            ("log", None),
        ]
        assert stored[0].started_at == T0

    def test_accepts_mappings(self, session: Session, project: Project) -> None:
        row = dict(vars(attempt(project.id, "echo", ms=7)))
        assert record_activity_attempts(session, [row]) == 1
        assert list_activity_attempts(session, "wf-1")[0].duration_ms == 7

    def test_empty_batch(self, session: Session) -> None:
        assert record_activity_attempts(session, []) == 0

    def test_aggregates_per_component_and_per_workflow_across_batches(
        self, engine: Engine, project: Project, workflow_id: int
    ) -> None:
        first = [
            attempt(project.id, ms=100, status="failed", workflow_id=workflow_id),
            attempt(project.id, ms=300, number=2, workflow_id=workflow_id, start=5),
        ]
        second = [attempt(project.id, ms=50, start=9), attempt(project.id, "log", ms=None)]
        for batch in (first, second):
            with session_scope(engine) as session:
                record_activity_attempts(session, batch)
        with session_scope(engine) as session:
            overall = {s.component: s for s in get_activity_statistics(session, project.id)}
            per_workflow = get_activity_statistics(session, project.id, per_workflow=True)
            counters = get_project(session, project.id)
        http = overall["http_request"]
        assert (http.attempt_count, http.success_count, http.failure_count, http.retry_count) == (
            3,
            2,
            1,
            1,
        )
        assert (http.total_duration_ms, http.min_duration_ms, http.max_duration_ms) == (
            450,
            50,
            300,
        )
        assert http.average_duration_ms == 150
        assert http.last_started_at == T0 + timedelta(seconds=9)
        log = overall["log"]
        assert (log.attempt_count, log.min_duration_ms, log.max_duration_ms) == (1, None, None)
        assert [(s.workflow_id, s.attempt_count, s.total_duration_ms) for s in per_workflow] == [
            (workflow_id, 2, 400)
        ]
        assert (counters.activity_attempt_count, counters.activity_failure_count) == (4, 1)


class TestGetActivityStatistics:
    def test_filters_by_component_and_workflow(
        self, session: Session, project: Project, workflow_id: int
    ) -> None:
        record_activity_attempts(
            session,
            [attempt(project.id, "a", workflow_id=workflow_id), attempt(project.id, "b")],
        )
        assert [s.component for s in get_activity_statistics(session, project.id)] == ["a", "b"]
        assert [
            s.component for s in get_activity_statistics(session, project.id, component="b")
        ] == ["b"]
        only = get_activity_statistics(session, project.id, workflow_id=workflow_id)
        assert [(s.component, s.workflow_id) for s in only] == [("a", workflow_id)]


class TestListActivityAttempts:
    def test_one_run_in_start_order(self, session: Session, project: Project) -> None:
        record_activity_attempts(
            session,
            [
                attempt(project.id, "second", start=2),
                attempt(project.id, "first", start=1),
                attempt(project.id, "other-run", run="run-2"),
            ],
        )
        assert [a.component for a in list_activity_attempts(session, "wf-1", "run-1")] == [
            "first",
            "second",
        ]
        assert len(list_activity_attempts(session, "wf-1")) == 3
