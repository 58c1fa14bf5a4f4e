"""``tally_attempts``: a project's attempt rows, the distinct attempts among them, and each worker's share."""

from __future__ import annotations

from datetime import datetime, timezone

from wfb_jupyter.storage import (
    ActivityAttempt,
    Project,
    record_activity_attempts,
    register_worker,
    session_scope,
    tally_attempts,
)

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=timezone.utc)


def attempt(project_id: str, run: str, step: str, *, number: int = 1, worker_id: int | None):
    return ActivityAttempt(
        project_id=project_id,
        temporal_workflow_id=run,
        temporal_run_id=f"{run}-r",
        step_id=step,
        component="echo",
        status="completed",
        started_at=T0,
        finished_at=T0,
        attempt=number,
        activity_id=step,
        worker_id=worker_id,
    )


class TestTallyAttempts:
    def test_shares_by_worker_and_no_duplicates(self, engine, project: Project) -> None:
        with session_scope(engine) as session:
            kernel = register_worker(session, project.id, "in-kernel").id
            sidecar = register_worker(session, project.id, "sidecar").id
            record_activity_attempts(
                session,
                [
                    attempt(project.id, "a", "one", worker_id=kernel),
                    attempt(project.id, "a", "two", worker_id=sidecar),
                    attempt(project.id, "b", "one", worker_id=sidecar),
                    attempt(project.id, "b", "one", number=2, worker_id=sidecar),  # a retry
                    attempt(project.id, "c", "one", worker_id=None),  # recorded before workers were
                ],
            )
        with session_scope(engine) as session:
            tally = tally_attempts(session, project.id)
        assert (tally.attempts, tally.distinct, tally.duplicates) == (5, 5, 0)
        assert [(s.worker_id, s.mode, s.attempts) for s in tally.shares] == [
            (kernel, "in-kernel", 1),
            (sidecar, "sidecar", 3),
            (None, None, 1),
        ]
        assert all(s.host and s.pid for s in tally.shares if s.worker_id is not None)

    def test_the_same_attempt_twice_is_a_duplicate(self, engine, project: Project) -> None:
        with session_scope(engine) as session:
            record_activity_attempts(
                session,
                [attempt(project.id, "a", "one", worker_id=None) for _ in range(3)],
            )
        with session_scope(engine) as session:
            tally = tally_attempts(session, project.id)
        assert (tally.attempts, tally.distinct, tally.duplicates) == (3, 1, 2)

    def test_other_projects_do_not_count(self, engine, project: Project) -> None:
        with session_scope(engine) as session:
            assert tally_attempts(session, project.id).attempts == 0
            assert tally_attempts(session, "elsewhere").shares == []
