"""Row-level frames: columns and dtypes, ordering, filters, limits; and the recording functions behind them."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine
from stats_seeding import T0, Seeder

from wfb_jupyter.statistics import (
    ATTEMPT_COLUMNS,
    EXECUTION_COLUMNS,
    activity_attempts_frame,
    executions_frame,
    record_activity_execution,
    record_workflow_execution,
)
from wfb_jupyter.storage import get_activity_statistics, get_project, session_scope


def test_executions_frame_newest_first_with_filters(engine: Engine, seeder: Seeder) -> None:
    for index in range(4):
        seeder.run(
            "orders",
            f"r{index}",
            version=1 + index % 2,
            status="completed" if index != 2 else "failed",
            started_at=T0 + timedelta(minutes=index),
            seconds=index + 1,
            error="boom" if index == 2 else None,
        )
    seeder.run("billing", "b0", started_at=T0 + timedelta(hours=1), status="running")
    project = seeder.project_id
    with session_scope(engine) as session:
        everything = executions_frame(session, project)
        assert list(everything.columns) == list(EXECUTION_COLUMNS)
        assert list(everything["run_id"]) == ["b0", "r3", "r2", "r1", "r0"]
        assert list(everything["duration_ms"].iloc[1:]) == [4000, 3000, 2000, 1000]
        assert pd.isna(everything["duration_ms"].iloc[0])
        assert str(everything["started_at"].dt.tz) == "UTC"
        assert everything.loc[everything["run_id"] == "r2", "error"].item() == "boom"

        def runs(**filters: object) -> list[str]:
            return list(executions_frame(session, project, **filters)["run_id"])  # type: ignore[arg-type]

        assert runs(workflow="orders", version=2) == ["r3", "r1"]
        assert runs(status="failed") == ["r2"]
        assert runs(status=("failed", "running")) == ["b0", "r2"]
        assert runs(since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=59)) == [
            "r3",
            "r2",
        ]
        assert runs(limit=2) == ["b0", "r3"]


def test_attempts_frame_in_start_order_for_one_execution(engine: Engine, seeder: Seeder) -> None:
    seeder.attempts(
        [
            {"step_id": "save", "started_at": T0 + timedelta(seconds=5), "duration_ms": 7},
            {
                "step_id": "load",
                "attempt": 2,
                "started_at": T0 + timedelta(seconds=2),
                "finished_at": T0 + timedelta(seconds=3),
            },
            {
                "step_id": "load",
                "attempt": 1,
                "status": "failed",
                "error": "timeout",
                "error_type": "TimeoutError",
                "started_at": T0,
                "duration_ms": 1000,
            },
            {"step_id": "other", "temporal_run_id": "run-2"},
        ]
    )
    with session_scope(engine) as session:
        frame = activity_attempts_frame(
            session, seeder.project_id, execution=("orders-id", "run-1")
        )
        every_run = activity_attempts_frame(
            session, seeder.project_id, execution=("orders-id", None)
        )
        saves = activity_attempts_frame(session, seeder.project_id, component="fetch", limit=1)
    assert list(frame.columns) == list(ATTEMPT_COLUMNS)
    assert list(zip(frame["step_id"], frame["attempt"], strict=True)) == [
        ("load", 1),
        ("load", 2),
        ("save", 1),
    ]
    assert list(frame["duration_ms"]) == [
        1000,
        1000,
        7,
    ]  # computed from the timestamps when missing
    assert frame["error_type"].iloc[0] == "TimeoutError"
    assert set(frame["workflow"]) == {"orders"}
    assert len(every_run) == 4
    assert len(saves) == 1


def test_empty_frames_keep_their_columns_and_dtypes(engine: Engine, seeder: Seeder) -> None:
    with session_scope(engine) as session:
        executions = executions_frame(session, seeder.project_id)
        attempts = activity_attempts_frame(session, seeder.project_id)
    assert executions.empty and list(executions.columns) == list(EXECUTION_COLUMNS)
    assert attempts.empty and list(attempts.columns) == list(ATTEMPT_COLUMNS)
    assert str(attempts["started_at"].dtype).startswith("datetime64")
    assert str(attempts["duration_ms"].dtype) == "Int64"


def test_frames_never_show_another_projects_rows(engine: Engine, make_project: object) -> None:
    first, second = make_project("first"), make_project("second")  # type: ignore[operator]
    first.run("orders", "r1")
    first.attempts([{"duration_ms": 1}])
    with session_scope(engine) as session:
        assert executions_frame(session, second.project_id).empty
        assert activity_attempts_frame(session, second.project_id).empty
        assert activity_attempts_frame(
            session, second.project_id, execution=("orders-id", "run-1")
        ).empty


def test_record_workflow_execution_starts_then_closes_once(engine: Engine, seeder: Seeder) -> None:
    workflow_id = seeder.workflow("orders")
    common = {
        "workflow_id": workflow_id,
        "version": 3,
        "temporal_workflow_id": "w",
        "temporal_run_id": "r",
    }
    with session_scope(engine) as session:
        started = record_workflow_execution(session, **common, started_at=T0)
        assert started.status == "running"
        closed = record_workflow_execution(
            session, **common, status="failed", error="bad", closed_at=T0 + timedelta(seconds=2)
        )
        assert (closed.status, closed.error, closed.duration_ms) == ("failed", "bad", 2000)
        again = record_workflow_execution(session, **common, status="completed")
        assert again.status == "failed"  # a closed run stays as it closed
        project = get_project(session, seeder.project_id)
        assert (project.execution_count, project.execution_failure_count) == (1, 1)
        with pytest.raises(ValueError, match="status must be one of"):
            record_workflow_execution(session, **common, status="exploded")


def test_record_workflow_execution_of_an_unseen_run_records_it_whole(
    engine: Engine, seeder: Seeder
) -> None:
    workflow_id = seeder.workflow("orders")
    with session_scope(engine) as session:
        record = record_workflow_execution(
            session,
            workflow_id=workflow_id,
            version=1,
            temporal_workflow_id="w",
            temporal_run_id="late",
            status="completed",
            result={"ok": True},
            started_at=T0,
            closed_at=T0 + timedelta(milliseconds=250),
        )
        assert (record.status, record.result, record.duration_ms) == (
            "completed",
            {"ok": True},
            250,
        )


def test_record_activity_execution_updates_the_statistics(engine: Engine, seeder: Seeder) -> None:
    with session_scope(engine) as session:
        for attempt, status in ((1, "failed"), (2, "completed")):
            record_activity_execution(
                session,
                project_id=seeder.project_id,
                temporal_workflow_id="w",
                temporal_run_id="r",
                step_id="load",
                component="fetch",
                status=status,
                attempt=attempt,
                started_at=T0,
                duration_ms=10 * attempt,
            )
    with session_scope(engine) as session:
        (statistics,) = get_activity_statistics(session, seeder.project_id, component="fetch")
        assert (statistics.attempt_count, statistics.failure_count, statistics.retry_count) == (
            2,
            1,
            1,
        )
        assert list(activity_attempts_frame(session, seeder.project_id)["duration_ms"]) == [10, 20]
