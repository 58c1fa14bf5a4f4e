"""Pruning old activity attempts: the raw rows go, the rollups that count them stay.

Only attempts whose hour the rollups count in full are removed. An hour where the rollups count fewer attempts
than its rows (rows written by a process of a wfb-jupyter older than the rollups, say) keeps its rows, and so
does everything of that project after it: removing them would lose what no rollup remembers.
Cutoffs are whole hours, so a prune never splits an hour between rows and no rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Float, and_, cast, delete, func, select
from sqlalchemy.orm import Session

from wfb_jupyter.storage.orm import ActivityAttemptRecord, Project
from wfb_jupyter.storage.repository.rollup_fold import SECONDS_PER_HOUR, epoch_hour
from wfb_jupyter.storage.rollup_tables import ActivityRollup


@dataclass(frozen=True)
class ProjectPrune:
    """What pruning before ``cutoff`` does to one project's attempts."""

    project_id: str
    project_name: str
    before: (
        datetime  # rows started before this go: the cutoff, or the first hour not counted in full
    )
    attempts: int  # rows that go (or would go)
    oldest: datetime | None
    newest: datetime | None
    # The first hour whose rows the rollups do not count in full; rows from it on are kept.
    uncovered_from: datetime | None = None
    kept_uncovered: int = 0


def whole_hour(moment: datetime) -> datetime:
    """``moment`` rounded down to its hour (UTC)."""
    return datetime.fromtimestamp(epoch_hour(moment) * SECONDS_PER_HOUR, tz=timezone.utc)


def plan_prune(session: Session, cutoff: datetime) -> list[ProjectPrune]:
    """Per project with attempts before ``cutoff`` (a whole hour): how many rows would go, their time
    range, and the hours kept because the rollups do not count them in full."""
    attempt = ActivityAttemptRecord
    rows = session.execute(
        select(
            attempt.project_id,
            Project.name,
            func.count(),
            func.min(attempt.started_at),
            func.max(attempt.started_at),
        )
        .join(Project, Project.id == attempt.project_id)
        .where(attempt.started_at < cutoff)
        .group_by(attempt.project_id, Project.name)
        .order_by(attempt.project_id)
    ).all()
    plans = []
    for project_id, name, count, oldest, newest in rows:
        uncovered = _first_uncovered_hour(session, project_id, cutoff)
        if uncovered is None:
            plans.append(ProjectPrune(project_id, name, cutoff, int(count), oldest, newest))
            continue
        kept = _count_between(session, project_id, uncovered, cutoff)
        plans.append(
            ProjectPrune(
                project_id,
                name,
                uncovered,
                int(count) - kept,
                oldest,
                newest if kept == 0 else _newest_before(session, project_id, uncovered),
                uncovered_from=uncovered,
                kept_uncovered=kept,
            )
        )
    return plans


def delete_attempts_before(
    session: Session, project_id: str, before: datetime, *, limit: int
) -> int:
    """Delete up to ``limit`` of the project's oldest attempts started before ``before``; how many went.
    Batches keep each transaction short, so that workers recording meanwhile wait little."""
    attempt = ActivityAttemptRecord
    oldest = (
        select(attempt.id)
        .where(attempt.project_id == project_id, attempt.started_at < before)
        .order_by(attempt.started_at)
        .limit(limit)
        .scalar_subquery()
    )
    result: Any = session.execute(delete(attempt).where(attempt.id.in_(oldest)))
    return int(result.rowcount or 0)


def _first_uncovered_hour(session: Session, project_id: str, cutoff: datetime) -> datetime | None:
    attempt = ActivityAttemptRecord
    hour = _hour_of(session, attempt.started_at)
    raw = (
        select(hour.label("hour"), func.count().label("rows"))
        .where(attempt.project_id == project_id, attempt.started_at < cutoff)
        .group_by(hour)
        .subquery()
    )
    counted = (
        select(ActivityRollup.hour, func.sum(ActivityRollup.attempts).label("attempts"))
        .where(ActivityRollup.project_id == project_id)
        .group_by(ActivityRollup.hour)
        .subquery()
    )
    first = session.scalar(
        select(func.min(raw.c.hour))
        .select_from(raw)
        .outerjoin(counted, counted.c.hour == raw.c.hour)
        .where(func.coalesce(counted.c.attempts, 0) < raw.c.rows)
    )
    if first is None:
        return None
    return datetime.fromtimestamp(int(first) * SECONDS_PER_HOUR, tz=timezone.utc)


def _hour_of(session: Session, column: Any) -> Any:
    """The epoch hour of a timestamp column, computed by the database."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / SECONDS_PER_HOUR), Float).cast(
            ActivityRollup.hour.type
        )
    # SQLite keeps UTC text; strftime('%s') reads it as UTC seconds.
    return cast(func.strftime("%s", column), ActivityRollup.hour.type) // SECONDS_PER_HOUR


def _count_between(session: Session, project_id: str, since: datetime, until: datetime) -> int:
    attempt = ActivityAttemptRecord
    return int(
        session.scalar(
            select(func.count()).where(
                and_(
                    attempt.project_id == project_id,
                    attempt.started_at >= since,
                    attempt.started_at < until,
                )
            )
        )
        or 0
    )


def _newest_before(session: Session, project_id: str, before: datetime) -> datetime | None:
    attempt = ActivityAttemptRecord
    newest: datetime | None = session.scalar(
        select(func.max(attempt.started_at)).where(
            attempt.project_id == project_id, attempt.started_at < before
        )
    )
    return newest
