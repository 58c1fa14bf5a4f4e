"""Workflow schedules: one row per workflow that has a Temporal schedule, as it was last set from here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from wfb_jupyter.storage._errors import NotFoundError
from wfb_jupyter.storage.orm import ScheduleRecord


@dataclass(frozen=True)
class ScheduleSettings:
    """What a schedule is made of: when it fires (``every`` or ``cron``), with what, on which version."""

    project_id: str
    workflow_id: int
    schedule_id: str
    version: int
    every: str | None = None
    cron: str | None = None
    timezone: str | None = None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    pinned_version: int | None = None
    overlap: str = "skip"
    catchup_window_seconds: int | None = None


def save_schedule(session: Session, settings: ScheduleSettings) -> ScheduleRecord:
    """Store the workflow's schedule, replacing the one it had (a replaced schedule is not paused)."""
    row = session.scalars(
        select(ScheduleRecord).where(ScheduleRecord.workflow_id == settings.workflow_id)
    ).one_or_none()
    if row is None:
        row = ScheduleRecord(project_id=settings.project_id, workflow_id=settings.workflow_id)
        session.add(row)
    row.schedule_id = settings.schedule_id
    row.version = settings.version
    row.every, row.cron, row.timezone = settings.every, settings.cron, settings.timezone
    row.inputs = dict(settings.inputs)
    row.pinned_version = settings.pinned_version
    row.overlap = settings.overlap
    row.catchup_window_seconds = settings.catchup_window_seconds
    row.paused, row.problem = False, None
    session.flush()
    return row


def find_schedule(session: Session, workflow_id: int) -> ScheduleRecord | None:
    return session.scalars(
        select(ScheduleRecord).where(ScheduleRecord.workflow_id == workflow_id)
    ).one_or_none()


def get_schedule(session: Session, schedule_id: str) -> ScheduleRecord:
    row = session.scalars(
        select(ScheduleRecord).where(ScheduleRecord.schedule_id == schedule_id)
    ).one_or_none()
    if row is None:
        raise NotFoundError("schedule", schedule_id)
    return row


def list_schedules(session: Session, project_id: str) -> list[ScheduleRecord]:
    """The project's schedules, in the order they were created."""
    return list(
        session.scalars(
            select(ScheduleRecord)
            .where(ScheduleRecord.project_id == project_id)
            .order_by(ScheduleRecord.id)
        )
    )


def has_schedules(session: Session, project_id: str) -> bool:
    return bool(session.scalar(select(exists().where(ScheduleRecord.project_id == project_id))))


def update_schedule(session: Session, schedule_id: str, **changes: Any) -> ScheduleRecord:
    """Change a stored schedule's ``paused``, ``version`` or ``problem``."""
    allowed = {"paused", "version", "problem"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"a schedule's {', '.join(sorted(unknown))} cannot be changed this way")
    row = get_schedule(session, schedule_id)
    for name, value in changes.items():
        setattr(row, name, value)
    session.flush()
    return row


def delete_schedule(session: Session, schedule_id: str) -> bool:
    """Forget a schedule; False when there was none."""
    row = session.scalars(
        select(ScheduleRecord).where(ScheduleRecord.schedule_id == schedule_id)
    ).one_or_none()
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True
