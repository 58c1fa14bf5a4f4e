"""Project workers: registration, heartbeats, status changes, and the clean-up of silent ones."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from wfb_jupyter.storage._errors import NotFoundError
from wfb_jupyter.storage._types import utc_now
from wfb_jupyter.storage.orm import WORKER_MODES, WORKER_STATUSES, WorkerRecord
from wfb_jupyter.storage.repository.projects import get_project

# A worker that has not sent a heartbeat for this long is presumed dead (the seed's rule; heartbeats are 30 s).
STALE_AFTER = timedelta(minutes=2)
_ENDED = ("stopped", "error", "stale")


def register_worker(
    session: Session,
    project_id: str,
    mode: str,
    *,
    pid: int | None = None,
    host: str | None = None,
    status: str = "starting",
    loaded_versions: Sequence[Any] = (),
) -> WorkerRecord:
    """A new worker row for the project, on the project's task queue; pid and host default to this process."""
    if mode not in WORKER_MODES:
        raise ValueError(f"worker mode must be one of {WORKER_MODES}, not {mode!r}")
    _check_status(status)
    project = get_project(session, project_id)
    now = utc_now()
    worker = WorkerRecord(
        project_id=project_id,
        task_queue=project.task_queue,
        mode=mode,
        pid=os.getpid() if pid is None else pid,
        host=socket.gethostname() if host is None else host,
        status=status,
        loaded_versions=list(loaded_versions),
        started_at=now,
        last_heartbeat_at=now,
    )
    session.add(worker)
    session.flush()
    return worker


def get_worker(session: Session, worker_id: int) -> WorkerRecord:
    worker = session.get(WorkerRecord, worker_id)
    if worker is None:
        raise NotFoundError("worker", worker_id)
    return worker


def heartbeat_worker(
    session: Session,
    worker_id: int,
    *,
    loaded_versions: Sequence[Any] | None = None,
    now: datetime | None = None,
) -> WorkerRecord:
    """Record that the worker is alive (and what it has loaded). A worker marked stale that still beats is
    running after all, so it is marked running again."""
    worker = get_worker(session, worker_id)
    worker.last_heartbeat_at = now or utc_now()
    if loaded_versions is not None:
        worker.loaded_versions = list(loaded_versions)
    if worker.status in ("stale", "starting"):
        worker.status = "running"
        worker.stopped_at = None
    session.flush()
    return worker


def update_worker(
    session: Session, worker_id: int, *, status: str, error: str | None = None
) -> WorkerRecord:
    """Change the worker's status; ``error`` is the reason for status ``error``."""
    _check_status(status)
    worker = get_worker(session, worker_id)
    worker.status = status
    worker.error = error
    worker.stopped_at = utc_now() if status in _ENDED else None
    session.flush()
    return worker


def list_workers(
    session: Session, project_id: str | None = None, statuses: Iterable[str] | None = None
) -> list[WorkerRecord]:
    statement = select(WorkerRecord).order_by(WorkerRecord.id)
    if project_id is not None:
        statement = statement.where(WorkerRecord.project_id == project_id)
    if statuses is not None:
        statement = statement.where(WorkerRecord.status.in_(list(statuses)))
    return list(session.scalars(statement))


def mark_stale_workers(
    session: Session, *, stale_after: timedelta = STALE_AFTER, now: datetime | None = None
) -> list[int]:
    """Mark workers whose last heartbeat is older than ``stale_after`` as ``stale``; returns their ids."""
    cutoff = (now or utc_now()) - stale_after
    stale_ids = list(
        session.scalars(
            select(WorkerRecord.id).where(
                WorkerRecord.status.in_(("starting", "running", "draining")),
                WorkerRecord.last_heartbeat_at < cutoff,
            )
        )
    )
    if stale_ids:
        session.execute(
            update(WorkerRecord)
            .where(WorkerRecord.id.in_(stale_ids))
            .values(
                status="stale",
                error=f"no heartbeat for more than {int(stale_after.total_seconds())} s",
                stopped_at=now or utc_now(),
            )
            .execution_options(synchronize_session="fetch")
        )
    return stale_ids


def _check_status(status: str) -> None:
    if status not in WORKER_STATUSES:
        raise ValueError(f"worker status must be one of {WORKER_STATUSES}, not {status!r}")
