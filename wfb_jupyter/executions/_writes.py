"""Execution rows go through the process's group commit: the starts and closes of many runs, and the
activity attempts recorded meanwhile, share a transaction.

Each write still returns only once it is committed, so a caller that awaited ``write_start`` or
``write_close`` sees the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from wfb_jupyter.storage import (
    BatchWriter,
    ExecutionClose,
    ExecutionStart,
    NotFoundError,
    group_commit,
    record_execution_closes,
    record_execution_starts,
)
from wfb_jupyter.storage.repository.execution_batches import MISSING


def _write_starts(session: Session, starts: Sequence[ExecutionStart]) -> list[Exception | None]:
    record_execution_starts(session, starts)
    return [None] * len(starts)


def _write_closes(session: Session, closes: Sequence[ExecutionClose]) -> list[Exception | None]:
    outcomes = record_execution_closes(session, closes)
    return [
        NotFoundError("execution", (close.temporal_workflow_id, close.temporal_run_id))
        if outcome == MISSING
        else None
        for close, outcome in zip(closes, outcomes, strict=True)
    ]


EXECUTION_STARTS = BatchWriter("execution starts", _write_starts)
EXECUTION_CLOSES = BatchWriter("execution closes", _write_closes)


async def write_start(engine: Engine, start: ExecutionStart) -> None:
    await _write_one(engine, EXECUTION_STARTS, start)


async def write_close(engine: Engine, close: ExecutionClose) -> None:
    """Raises ``NotFoundError`` when no row records that run."""
    await _write_one(engine, EXECUTION_CLOSES, close)


async def _write_one(engine: Engine, writer: BatchWriter[Any, Exception | None], item: Any) -> None:
    (error,) = await group_commit(engine).write(writer, [item])
    if error is not None:
        raise error
