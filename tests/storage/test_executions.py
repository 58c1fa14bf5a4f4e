from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from wfb_jupyter.storage import (
    ExecutionClose,
    ExecutionRecord,
    ExecutionStart,
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
    open_runs_started_before,
    record_execution_closes,
    record_execution_starts,
    session_scope,
)
from wfb_jupyter.storage.repository.execution_batches import ALREADY_CLOSED, CLOSED, MISSING

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


def _starts(workflow: int, *keys: tuple[str, str], at: datetime = T0) -> list[ExecutionStart]:
    return [
        ExecutionStart(
            workflow, 1, run_workflow_id, run_id, input={"key": run_workflow_id}, started_at=at
        )
        for run_workflow_id, run_id in keys
    ]


def _row(session: Session, temporal_workflow_id: str, temporal_run_id: str) -> ExecutionRecord:
    session.expire_all()  # the row as stored now, not as this session last saw it
    return get_execution(session, temporal_workflow_id, temporal_run_id)


def _counters(session: Session, project_id: str) -> tuple[Any, ...]:
    session.expire_all()
    found = get_project(session, project_id)
    return (
        found.execution_count,
        found.execution_success_count,
        found.execution_failure_count,
        found.last_execution_at,
    )


class TestBatches:
    def test_several_starts_in_one_call(self, engine: Engine, workflow_id: int) -> None:
        starts = [
            ExecutionStart(
                workflow_id,
                index + 1,
                f"wf-{index}",
                f"run-{index}",
                input={"n": index},
                started_at=T0 + timedelta(seconds=index),
            )
            for index in range(5)
        ]
        with session_scope(engine) as session:
            record_execution_starts(session, starts)
        with session_scope(engine) as session:
            rows = session.scalars(select(ExecutionRecord).order_by(ExecutionRecord.id)).all()
            assert [
                (
                    row.workflow_id,
                    row.version,
                    row.temporal_workflow_id,
                    row.temporal_run_id,
                    row.status,
                    row.input,
                    row.started_at,
                    row.closed_at,
                    row.duration_ms,
                )
                for row in rows
            ] == [
                (
                    workflow_id,
                    index + 1,
                    f"wf-{index}",
                    f"run-{index}",
                    "running",
                    {"n": index},
                    T0 + timedelta(seconds=index),
                    None,
                    None,
                )
                for index in range(5)
            ]

    def test_empty_batches_do_nothing(self, session: Session) -> None:
        record_execution_starts(session, [])
        assert record_execution_closes(session, []) == []
        assert session.scalars(select(ExecutionRecord)).all() == []

    def test_duplicate_starts_leave_the_first_row_untouched(
        self, engine: Engine, workflow_id: int
    ) -> None:
        with session_scope(engine) as session:
            create_execution(session, workflow_id, 1, "old", "r", input={"v": "old"}, started_at=T0)
            close_execution(session, "old", "r", "completed", result=1, closed_at=T0)
        later = T0 + timedelta(hours=1)
        with session_scope(engine) as session:
            record_execution_starts(
                session,
                [
                    ExecutionStart(workflow_id, 1, "new", "r", input={"v": 1}, started_at=T0),
                    ExecutionStart(
                        workflow_id, 7, "old", "r", input={"v": "again"}, started_at=later
                    ),
                    ExecutionStart(workflow_id, 2, "new", "r", input={"v": 2}, started_at=later),
                    ExecutionStart(workflow_id, 3, "other", "r", input=None, started_at=later),
                ],
            )
        with session_scope(engine) as session:
            new, old, other = (_row(session, key, "r") for key in ("new", "old", "other"))
            assert (new.version, new.input, new.started_at, new.status) == (
                1,
                {"v": 1},
                T0,
                "running",
            )
            # Already recorded and closed: a late start does not reopen or rewrite it.
            assert (old.version, old.input, old.started_at, old.status, old.result) == (
                1,
                {"v": "old"},
                T0,
                "completed",
                1,
            )
            assert (other.version, other.started_at) == (3, later)
            assert session.scalar(select(func.count()).select_from(ExecutionRecord)) == 3

    def test_several_closes_in_one_call(
        self, engine: Engine, project: Project, workflow_id: int
    ) -> None:
        keys = [(f"wf-{index}", "r") for index in range(4)]
        with session_scope(engine) as session:
            record_execution_starts(
                session,
                [
                    ExecutionStart(
                        workflow_id, 1, key, run, started_at=T0 + timedelta(seconds=index)
                    )
                    for index, (key, run) in enumerate(keys)
                ],
            )
        closing = T0 + timedelta(seconds=10)
        closes = [
            ExecutionClose("wf-0", "r", "completed", result={"n": 0}, closed_at=closing),
            ExecutionClose(
                "wf-1", "r", "failed", error="boom", closed_at=closing + timedelta(milliseconds=250)
            ),
            ExecutionClose("wf-2", "r", "completed", result=[1, 2], closed_at=closing),
            # Closed before it started (clocks disagree): the duration is clamped to zero.
            ExecutionClose("wf-3", "r", "timed_out", error="late", closed_at=T0),
        ]
        with session_scope(engine) as session:
            assert record_execution_closes(session, closes) == [CLOSED] * 4
        with session_scope(engine) as session:
            rows = [_row(session, key, run) for key, run in keys]
            assert [
                (row.status, row.result, row.error, row.closed_at, row.duration_ms) for row in rows
            ] == [
                ("completed", {"n": 0}, None, closing, 10_000),
                ("failed", None, "boom", closing + timedelta(milliseconds=250), 9_250),
                ("completed", [1, 2], None, closing, 8_000),
                ("timed_out", None, "late", T0, 0),
            ]
            # Counted once per run; the latest start among the runs closed.
            assert _counters(session, project.id) == (4, 2, 2, T0 + timedelta(seconds=3))

    def test_counters_are_split_by_project(
        self, engine: Engine, project: Project, workflow_id: int
    ) -> None:
        with session_scope(engine) as session:
            other_project = create_project(session, project.user_id, "other").id
            other_workflow = get_or_create_workflow(session, other_project, "x").id
            record_execution_starts(
                session,
                _starts(workflow_id, ("a", "r"), ("b", "r"))
                + _starts(
                    other_workflow, ("c", "r"), ("d", "r"), ("e", "r"), at=T0 + timedelta(days=1)
                ),
            )
        with session_scope(engine) as session:
            outcomes = record_execution_closes(
                session,
                [
                    ExecutionClose("c", "r", "cancelled"),
                    ExecutionClose("a", "r", "completed"),
                    ExecutionClose("d", "r", "completed"),
                    ExecutionClose("e", "r", "terminated"),
                    ExecutionClose("b", "r", "completed"),
                ],
            )
            assert outcomes == [CLOSED] * 5
        with session_scope(engine) as session:
            assert _counters(session, project.id) == (2, 2, 0, T0)
            assert _counters(session, other_project) == (3, 1, 2, T0 + timedelta(days=1))

    def test_mixed_outcomes_and_the_same_run_twice(
        self, engine: Engine, project: Project, workflow_id: int
    ) -> None:
        with session_scope(engine) as session:
            record_execution_starts(
                session, _starts(workflow_id, ("done", "r"), ("open", "r"), ("open", "r2"))
            )
            close_execution(session, "done", "r", "failed", error="first", closed_at=T0)
        with session_scope(engine) as session:
            assert _counters(session, project.id) == (1, 0, 1, T0)
        with session_scope(engine) as session:
            outcomes = record_execution_closes(
                session,
                [
                    ExecutionClose("open", "r", "completed", result="one", closed_at=T0),
                    ExecutionClose("done", "r", "completed", result="late", closed_at=T0),
                    ExecutionClose("nope", "r", "completed"),  # no such workflow id
                    ExecutionClose(
                        "open", "unknown", "completed"
                    ),  # known workflow id, no such run
                    ExecutionClose("open", "r", "failed", error="again", closed_at=T0),
                    ExecutionClose("open", "r2", "cancelled", closed_at=T0),
                ],
            )
            assert outcomes == [CLOSED, ALREADY_CLOSED, MISSING, MISSING, ALREADY_CLOSED, CLOSED]
        with session_scope(engine) as session:
            done, first, second = (
                _row(session, *key) for key in (("done", "r"), ("open", "r"), ("open", "r2"))
            )
            assert (done.status, done.error, done.result) == ("failed", "first", None)
            assert (first.status, first.result, first.error) == ("completed", "one", None)
            assert second.status == "cancelled"
            assert session.scalar(select(func.count()).select_from(ExecutionRecord)) == 3
            # The run closed twice in the batch counts once: 1 before, + "open/r" (success) + "open/r2".
            assert _counters(session, project.id) == (3, 1, 2, T0)

    def test_a_closed_batch_closed_again_changes_nothing(
        self, engine: Engine, project: Project, workflow_id: int
    ) -> None:
        keys = [("a", "r"), ("b", "r"), ("c", "r")]
        closes = [
            ExecutionClose(key, run, "completed", result=key, closed_at=T0) for key, run in keys
        ]
        with session_scope(engine) as session:
            record_execution_starts(session, _starts(workflow_id, *keys))
            assert record_execution_closes(session, closes) == [CLOSED] * 3
        with session_scope(engine) as session:
            again = [ExecutionClose(key, run, "failed", error="x") for key, run in keys]
            assert record_execution_closes(session, again) == [ALREADY_CLOSED] * 3
        with session_scope(engine) as session:
            assert [_row(session, *key).status for key in keys] == ["completed"] * 3
            assert _counters(session, project.id) == (3, 3, 0, T0)

    def test_running_is_not_a_closed_status(self, session: Session, workflow_id: int) -> None:
        record_execution_starts(session, _starts(workflow_id, ("a", "r")))
        with pytest.raises(ValueError, match="running"):
            ExecutionClose("a", "r", "running")
        with pytest.raises(ValueError, match="closed"):
            ExecutionClose("a", "r", "bogus")
        assert _row(session, "a", "r").status == "running"

    def test_open_runs_started_before(
        self, engine: Engine, project: Project, workflow_id: int
    ) -> None:
        cutoff = T0 + timedelta(hours=1)
        with session_scope(engine) as session:
            second_workflow = get_or_create_workflow(session, project.id, "invoices").id
            other_project = create_project(session, project.user_id, "other").id
            elsewhere = get_or_create_workflow(session, other_project, "x").id
            record_execution_starts(
                session,
                [
                    ExecutionStart(
                        workflow_id, 1, "middle", "r", started_at=T0 + timedelta(minutes=30)
                    ),
                    ExecutionStart(
                        workflow_id, 1, "after", "r", started_at=cutoff + timedelta(seconds=1)
                    ),
                    ExecutionStart(workflow_id, 1, "at-cutoff", "r", started_at=cutoff),
                    ExecutionStart(second_workflow, 1, "oldest", "r", started_at=T0),
                    ExecutionStart(
                        workflow_id, 1, "closed", "r", started_at=T0 - timedelta(hours=1)
                    ),
                    ExecutionStart(
                        elsewhere, 1, "other-project", "r", started_at=T0 - timedelta(hours=2)
                    ),
                    ExecutionStart(
                        workflow_id,
                        1,
                        "latest-before",
                        "r2",
                        started_at=cutoff - timedelta(seconds=1),
                    ),
                ],
            )
            close_execution(session, "closed", "r", "completed")
        with session_scope(engine) as session:
            assert open_runs_started_before(session, project.id, cutoff) == [
                ("oldest", "r"),
                ("middle", "r"),
                ("latest-before", "r2"),
            ]
            assert open_runs_started_before(session, other_project, cutoff) == [
                ("other-project", "r")
            ]
            assert open_runs_started_before(session, project.id, T0) == []
