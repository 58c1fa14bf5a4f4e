"""Stored payloads (claim checks): values too large for the Temporal history, kept by the SHA-256 of their
bytes, with the executions that used them so that retention knows when they can go."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from wfb_jupyter.storage._types import utc_now
from wfb_jupyter.storage.orm import (
    OPEN_EXECUTION_STATUSES,
    ExecutionRecord,
    PayloadChunk,
    PayloadUse,
    StoredPayload,
)

DATABASE_LOCATION = "database"
# Parts small enough for any driver to move in one piece, large enough that a 1 GB payload is 128 rows.
CHUNK_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class PayloadEntry:
    key: str
    size: int
    kind: str
    location: str
    created_at: datetime
    last_used_at: datetime


def payload_location(session: Session, key: str) -> str | None:
    """Where the payload's bytes are (``database`` or a folder), or None when it is not stored."""
    return session.scalar(select(StoredPayload.location).where(StoredPayload.key == key))


def store_payload(
    session: Session,
    key: str,
    *,
    size: int,
    kind: str,
    location: str = DATABASE_LOCATION,
    data: bytes | memoryview | None = None,
) -> bool:
    """Record a payload (and its bytes, in parts, when it lives in the database); False when it was already
    stored. Row and parts go in the caller's transaction, so a reader never finds half of it."""
    if payload_location(session, key) is not None:
        return False
    session.add(StoredPayload(key=key, size=size, kind=kind[:300], location=location))
    session.flush()
    if data is not None:
        view = memoryview(data)
        for part, start in enumerate(range(0, max(len(view), 1), CHUNK_BYTES)):
            session.add(
                PayloadChunk(key=key, part=part, data=bytes(view[start : start + CHUNK_BYTES]))
            )
    session.flush()
    return True


def use_payload(session: Session, key: str, temporal_workflow_id: str | None) -> None:
    """Note that an execution passed the payload now (retention keeps it while the execution needs it)."""
    now = utc_now()
    payload = session.get(StoredPayload, key)
    if payload is None:
        return
    payload.last_used_at = now
    if temporal_workflow_id and session.get(PayloadUse, (key, temporal_workflow_id)) is None:
        session.add(PayloadUse(key=key, temporal_workflow_id=temporal_workflow_id, created_at=now))
    session.flush()


def read_payload_bytes(session: Session, key: str) -> bytes | None:
    """The bytes of a payload kept in the database, or None when there is no such payload."""
    parts = session.scalars(
        select(PayloadChunk.data).where(PayloadChunk.key == key).order_by(PayloadChunk.part)
    ).all()
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else b"".join(parts)


def prunable_payloads(session: Session, cutoff: datetime) -> list[PayloadEntry]:
    """Payloads not used since ``cutoff`` whose executions are all closed before it (or no longer recorded):
    nothing that is running, or closed since, can still ask for them."""
    still_needed = (
        select(PayloadUse.key)
        .join(
            ExecutionRecord, ExecutionRecord.temporal_workflow_id == PayloadUse.temporal_workflow_id
        )
        .where(
            PayloadUse.key == StoredPayload.key,
            (ExecutionRecord.status.in_(OPEN_EXECUTION_STATUSES))
            | (ExecutionRecord.closed_at >= cutoff),
        )
    )
    rows = session.scalars(
        select(StoredPayload)
        .where(StoredPayload.last_used_at < cutoff, ~exists(still_needed))
        .order_by(StoredPayload.last_used_at)
    )
    return [_entry(row) for row in rows]


def delete_payloads(session: Session, keys: Sequence[str]) -> int:
    """Forget payloads (rows, parts and uses); returns how many there were."""
    total = 0
    for start in range(0, len(keys), 500):
        batch = list(keys[start : start + 500])
        session.execute(delete(PayloadChunk).where(PayloadChunk.key.in_(batch)))
        session.execute(delete(PayloadUse).where(PayloadUse.key.in_(batch)))
        result = session.execute(delete(StoredPayload).where(StoredPayload.key.in_(batch)))
        total += int(getattr(result, "rowcount", 0) or 0)
    return total


def list_payloads(session: Session, locations: Iterable[str] | None = None) -> list[PayloadEntry]:
    query = select(StoredPayload).order_by(StoredPayload.created_at)
    if locations is not None:
        query = query.where(StoredPayload.location.in_(list(locations)))
    return [_entry(row) for row in session.scalars(query)]


def payload_totals(session: Session) -> tuple[int, int]:
    """How many payloads are stored, and their bytes."""
    count, size = session.execute(
        select(func.count(), func.coalesce(func.sum(StoredPayload.size), 0))
    ).one()
    return int(count), int(size)


def _entry(row: StoredPayload) -> PayloadEntry:
    return PayloadEntry(row.key, row.size, row.kind, row.location, row.created_at, row.last_used_at)
