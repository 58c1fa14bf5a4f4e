"""Retention: stored payloads go once no execution can ask for them any more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from wfb_jupyter.storage import (
    DATABASE_LOCATION,
    PayloadEntry,
    delete_payloads,
    prunable_payloads,
    read_scope,
    run_write,
    utc_now,
)


@dataclass(frozen=True)
class PruneResult:
    payloads: int
    bytes: int
    dry_run: bool = False


def prune_payloads(engine: Engine, older_than: timedelta, *, dry_run: bool = False) -> PruneResult:
    """Remove the payloads not used for ``older_than`` whose executions have all been closed at least that
    long (or are no longer recorded); a payload of a running execution is never removed."""
    cutoff = utc_now() - older_than
    with read_scope(engine) as session:
        entries = prunable_payloads(session, cutoff)
    result = PruneResult(len(entries), sum(entry.size for entry in entries), dry_run)
    if dry_run or not entries:
        return result
    # The listing goes first: a payload still listed whose file is gone would be a dangling reference.
    run_write(engine, lambda session: delete_payloads(session, [entry.key for entry in entries]))
    for entry in entries:
        _remove_file(entry)
    return result


def _remove_file(entry: PayloadEntry) -> None:
    if entry.location == DATABASE_LOCATION:
        return
    path = Path(entry.location) / entry.key[:2] / entry.key
    path.unlink(missing_ok=True)
