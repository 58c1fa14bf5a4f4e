"""How a project's recorded attempts divide among its workers, and whether any attempt was recorded twice.

Several workers (the kernel's, sidecars on other hosts) may poll one task queue; Temporal hands each attempt of
an activity to one of them, and that one records it. An attempt is one (run, activity id, attempt number), so two
rows with the same three are a duplicate: what the multi-worker test and benchmark check never happens."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wfb_jupyter.storage.orm import ActivityAttemptRecord, WorkerRecord


@dataclass(frozen=True)
class WorkerShare:
    worker_id: int | None  # None: attempts recorded before attempts said which worker ran them
    mode: str | None
    host: str | None
    pid: int | None
    attempts: int


@dataclass(frozen=True)
class AttemptTally:
    attempts: int  # rows
    distinct: int  # distinct (run, activity id, attempt)
    shares: list[WorkerShare] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        """Rows beyond the first of each attempt: 0 when every attempt was recorded exactly once."""
        return self.attempts - self.distinct


def tally_attempts(session: Session, project_id: str) -> AttemptTally:
    """Count the project's attempt rows, the distinct attempts among them, and each worker's share."""
    row = ActivityAttemptRecord
    ours = row.project_id == project_id
    identity = (row.temporal_workflow_id, row.temporal_run_id, row.activity_id, row.attempt)
    distinct = select(*identity).where(ours).distinct().subquery()
    total = session.scalar(select(func.count()).select_from(row).where(ours)) or 0
    unique = session.scalar(select(func.count()).select_from(distinct)) or 0
    counts = session.execute(
        select(row.worker_id, func.count()).where(ours).group_by(row.worker_id)
    ).all()
    ids = [worker_id for worker_id, _ in counts if worker_id is not None]
    workers = {
        w.id: w for w in session.scalars(select(WorkerRecord).where(WorkerRecord.id.in_(ids)))
    }
    shares = []
    for worker_id, count in sorted(counts, key=lambda pair: (pair[0] is None, pair[0] or 0)):
        worker = workers.get(worker_id) if worker_id is not None else None
        shares.append(
            WorkerShare(
                worker_id=worker_id,
                mode=worker.mode if worker else None,
                host=worker.host if worker else None,
                pid=worker.pid if worker else None,
                attempts=int(count),
            )
        )
    return AttemptTally(attempts=int(total), distinct=int(unique), shares=shares)
