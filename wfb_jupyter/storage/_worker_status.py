"""What a person wants to know about a project's workers, from this process or from the database."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from wfb_jupyter.storage._types import utc_now
from wfb_jupyter.storage.orm import WorkerRecord
from wfb_jupyter.storage.repository.workers import list_workers

WORKER_STATES = ("starting", "running", "reconnecting", "draining", "stopped", "error", "stale")
# States of a worker process that is alive (a draining one finishes what it runs, and polls no more).
LIVE_STATES = ("starting", "running", "reconnecting", "draining")
# A worker recovering by itself keeps beating with status ``error`` and a reason starting with this word.
RECONNECTING = "reconnecting"


@dataclass(frozen=True)
class WorkerStatus:
    worker_id: int | None
    project_id: str
    task_queue: str
    mode: str
    status: str
    pid: int
    host: str
    loaded_versions: list[str] = field(default_factory=list)
    last_heartbeat_at: datetime | None = None
    heartbeat_age_seconds: float | None = None
    error: str | None = None
    # Stored versions the worker could not load (workflow type -> why); it serves the others.
    failed_versions: dict[str, str] = field(default_factory=dict)
    started_at: datetime | None = None

    @property
    def serving(self) -> bool:
        """Polling the task queue now (a reconnecting worker will again, without a restart)."""
        return self.status in ("running", "reconnecting")

    @property
    def uptime(self) -> str | None:
        """How long since the worker started (``42s``, ``3m05s``, ``2h10m``), or None if unknown."""
        if self.started_at is None:
            return None
        return _span((utc_now() - self.started_at).total_seconds())

    def describe(self) -> str:
        age = (
            f", last heartbeat {self.heartbeat_age_seconds:.0f} s ago"
            if self.heartbeat_age_seconds is not None
            else ""
        )
        versions = ", ".join(self.loaded_versions) or "no workflows yet"
        reason = f" ({self.error})" if self.error else ""
        if self.failed_versions and not self.error:
            reason = f" (cannot load {', '.join(self.failed_versions)})"
        up = f", up {self.uptime}" if self.uptime else ""
        return (
            f"{self.mode} worker {self.pid}@{self.host} for {self.project_id} on {self.task_queue}: "
            f"{self.status}{reason}{up}{age}; serves {versions}"
        )


def _span(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return (
        f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
    )


def status_from_row(
    row: WorkerRecord, *, stale_after: float, now: datetime | None = None
) -> WorkerStatus:
    now = now or utc_now()
    age = (now - row.last_heartbeat_at).total_seconds() if row.last_heartbeat_at else None
    status = row.status
    if status == "error" and (row.error or "").startswith(RECONNECTING):
        status = "reconnecting"
    # A row still claiming to run whose heartbeats stopped is stale even before anyone cleaned it up; so is one
    # whose process on this host is gone (a killed kernel), which need not wait for its heartbeats to age.
    if status in LIVE_STATES and ((age is not None and age > stale_after) or _gone(row)):
        status = "stale"
    return WorkerStatus(
        worker_id=row.id,
        project_id=row.project_id,
        task_queue=row.task_queue,
        mode=row.mode,
        status=status,
        pid=row.pid,
        host=row.host,
        loaded_versions=[entry for entry in row.loaded_versions or [] if isinstance(entry, str)],
        last_heartbeat_at=row.last_heartbeat_at,
        heartbeat_age_seconds=None if age is None else round(age, 1),
        error=row.error,
        failed_versions=failed_versions_of(row.loaded_versions or []),
        started_at=row.started_at,
    )


def _gone(row: WorkerRecord) -> bool:
    """True when the row's process ran on this host and no longer exists (its pid free, or reused since)."""
    if row.host != _HOST:
        return False
    import psutil

    try:
        created = float(psutil.Process(row.pid).create_time())
    except (psutil.NoSuchProcess, ValueError):
        return True
    except psutil.AccessDenied:
        return False
    # A pid reused by a process that started after the worker registered is not the worker.
    return row.started_at is not None and created > row.started_at.timestamp() + 1.0


_HOST = socket.gethostname()


def loaded_versions_document(loaded: list[str], failed: dict[str, str]) -> list[Any]:
    """What a worker row's ``loaded_versions`` holds: the types it serves, then one ``{"failed": type,
    "reason": ...}`` entry per version it could not load (readers that only know types skip them)."""
    return [*loaded, *({"failed": name, "reason": reason} for name, reason in failed.items())]


def failed_versions_of(document: list[Any]) -> dict[str, str]:
    return {
        str(entry["failed"]): str(entry.get("reason", ""))
        for entry in document
        if isinstance(entry, dict) and "failed" in entry
    }


def worker_statuses(
    session: Session, project_id: str, *, stale_after: float = 120.0, include_ended: bool = False
) -> list[WorkerStatus]:
    """The project's workers in every process, newest first (ended ones only when asked)."""
    statuses = [
        status_from_row(row, stale_after=stale_after) for row in list_workers(session, project_id)
    ]
    if not include_ended:
        statuses = [s for s in statuses if s.status in LIVE_STATES]
    return sorted(statuses, key=lambda status: status.worker_id or 0, reverse=True)


def serving_worker(
    session: Session, project_id: str, *, stale_after: float = 120.0
) -> WorkerStatus | None:
    """A worker (any process) that serves the project's task queue and beat recently, if there is one.
    A reconnecting worker counts: what is started meanwhile waits in the queue until it is back."""
    live = worker_statuses(session, project_id, stale_after=stale_after)
    ranked = sorted(live, key=lambda status: status.status != "running")
    return next((status for status in ranked if status.serving), None)
