from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import Session

from wfb_jupyter.storage import (
    STALE_AFTER,
    NotFoundError,
    Project,
    get_worker,
    heartbeat_worker,
    list_workers,
    mark_stale_workers,
    register_worker,
    update_worker,
)

T0 = datetime(2026, 1, 2, 10, 0, tzinfo=timezone.utc)


class TestRegisterWorker:
    def test_uses_the_project_task_queue_and_this_process(
        self, session: Session, project: Project
    ) -> None:
        worker = register_worker(session, project.id, "in-kernel", loaded_versions=[["orders", 1]])
        assert (worker.task_queue, worker.pid, worker.status) == (
            project.task_queue,
            os.getpid(),
            "starting",
        )
        assert worker.loaded_versions == [["orders", 1]] and worker.host

    def test_rejects_unknown_modes(self, session: Session, project: Project) -> None:
        with pytest.raises(ValueError, match="sidecar"):
            register_worker(session, project.id, "thread")


class TestGetWorker:
    def test_missing(self, session: Session) -> None:
        with pytest.raises(NotFoundError, match="worker"):
            get_worker(session, 999)


class TestHeartbeatWorker:
    def test_updates_time_and_loaded_versions(self, session: Session, project: Project) -> None:
        worker = register_worker(session, project.id, "sidecar", pid=42, host="box")
        beat = heartbeat_worker(session, worker.id, loaded_versions=[["a", 2]], now=T0)
        assert (beat.last_heartbeat_at, beat.loaded_versions, beat.status) == (
            T0,
            [["a", 2]],
            "running",
        )

    def test_a_stale_worker_that_beats_is_running_again(
        self, session: Session, project: Project
    ) -> None:
        worker = register_worker(session, project.id, "sidecar", status="running")
        heartbeat_worker(session, worker.id, now=T0)
        mark_stale_workers(session, now=T0 + timedelta(minutes=5))
        assert heartbeat_worker(session, worker.id).status == "running"


class TestUpdateWorker:
    def test_error_keeps_the_reason_and_stop_time(self, session: Session, project: Project) -> None:
        worker = register_worker(session, project.id, "sidecar")
        updated = update_worker(session, worker.id, status="error", error="ImportError: x")
        assert (updated.status, updated.error) == ("error", "ImportError: x")
        assert updated.stopped_at is not None

    def test_rejects_unknown_status(self, session: Session, project: Project) -> None:
        worker = register_worker(session, project.id, "sidecar")
        with pytest.raises(ValueError):
            update_worker(session, worker.id, status="sleeping")


class TestListWorkers:
    def test_filters(self, session: Session, project: Project) -> None:
        running = register_worker(session, project.id, "in-kernel", status="running")
        stopped = register_worker(session, project.id, "sidecar")
        update_worker(session, stopped.id, status="stopped")
        assert [w.id for w in list_workers(session, project.id)] == [running.id, stopped.id]
        assert [w.id for w in list_workers(session, statuses=["running"])] == [running.id]


class TestMarkStaleWorkers:
    def test_only_silent_live_workers_become_stale(
        self, session: Session, project: Project
    ) -> None:
        silent = register_worker(session, project.id, "sidecar", status="running")
        fresh = register_worker(session, project.id, "sidecar", status="running")
        stopped = register_worker(session, project.id, "sidecar", status="running")
        heartbeat_worker(session, silent.id, now=T0)
        heartbeat_worker(session, stopped.id, now=T0)
        update_worker(session, stopped.id, status="stopped")
        heartbeat_worker(session, fresh.id, now=T0 + timedelta(minutes=2))
        assert mark_stale_workers(session, now=T0 + STALE_AFTER + timedelta(seconds=1)) == [
            silent.id
        ]
        statuses = {w.id: w.status for w in list_workers(session, project.id)}
        assert statuses == {silent.id: "stale", fresh.id: "running", stopped.id: "stopped"}
        assert "no heartbeat" in (get_worker(session, silent.id).error or "")
