"""Whatever the batches, the running statistics equal a GROUP BY over the attempts they summarise."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import case, func, select

from wfb_jupyter.storage import (
    ActivityAttempt,
    ActivityAttemptRecord,
    create_project,
    create_storage_engine,
    create_user,
    get_activity_statistics,
    get_or_create_workflow,
    record_activity_attempts,
    session_scope,
    upgrade_database,
)

T0 = datetime(2026, 1, 2, tzinfo=timezone.utc)

attempt_fields = st.tuples(
    st.sampled_from(["a", "b", "c"]),  # component
    st.sampled_from(["completed", "failed"]),
    st.integers(min_value=1, max_value=3),  # attempt number
    st.one_of(st.none(), st.integers(min_value=0, max_value=5_000)),  # duration
    st.booleans(),  # belongs to the workflow
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.lists(attempt_fields, max_size=12), min_size=1, max_size=5))
def test_statistics_equal_a_group_by_over_the_attempts(
    tmp_path_factory: object, batches: list[list[tuple[str, str, int, int | None, bool]]]
) -> None:
    directory: Path = tmp_path_factory.mktemp("stats")  # type: ignore[attr-defined]
    engine = create_storage_engine(f"sqlite:///{directory}/wfb.db")
    upgrade_database(engine)
    try:
        with session_scope(engine) as session:
            project = create_project(session, create_user(session, "p").id, "p")
            workflow_id = get_or_create_workflow(session, project.id, "w").id
        for number, batch in enumerate(batches):
            with session_scope(engine) as session:
                record_activity_attempts(
                    session,
                    [
                        ActivityAttempt(
                            project_id=project.id,
                            workflow_id=workflow_id if in_workflow else None,
                            temporal_workflow_id="wf",
                            temporal_run_id=str(number),
                            step_id=str(index),
                            component=component,
                            status=status,
                            attempt=attempt,
                            started_at=T0 + timedelta(seconds=number * 100 + index),
                            duration_ms=duration,
                        )
                        for index, (component, status, attempt, duration, in_workflow) in enumerate(
                            batch
                        )
                    ],
                )
        with session_scope(engine) as session:
            record = ActivityAttemptRecord
            expected = {
                row.component: tuple(row[1:])
                for row in session.execute(
                    select(
                        record.component,
                        func.count(),
                        func.sum(case((record.status == "completed", 1), else_=0)),
                        func.sum(case((record.attempt > 1, 1), else_=0)),
                        func.coalesce(func.sum(record.duration_ms), 0),
                        func.min(record.duration_ms),
                        func.max(record.duration_ms),
                        func.max(record.started_at),
                    ).group_by(record.component)
                )
            }
            actual = {
                s.component: (
                    s.attempt_count,
                    s.success_count,
                    s.retry_count,
                    s.total_duration_ms,
                    s.min_duration_ms,
                    s.max_duration_ms,
                    s.last_started_at,
                )
                for s in get_activity_statistics(session, project.id)
            }
        assert actual == expected
    finally:
        engine.dispose()
