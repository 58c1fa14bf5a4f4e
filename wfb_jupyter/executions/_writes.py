"""Execution rows are written in batches: the starts and closes of many runs share one transaction.

Each write still returns only once its batch is committed, so a caller that awaited ``start`` or ``close``
sees the row; what batching saves is a transaction (and, on SQLite, a turn at the write lock) per row.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from wfb_jupyter.runtime._threads import off_loop
from wfb_jupyter.storage import (
    ExecutionClose,
    ExecutionStart,
    NotFoundError,
    record_execution_closes,
    record_execution_starts,
    run_write,
)
from wfb_jupyter.storage.repository.executions import MISSING

_GATHER_SECONDS = 0.01

_Pending = tuple[ExecutionStart | ExecutionClose, asyncio.Future[None]]


class ExecutionWrites:
    """The execution rows waiting to be written for one engine on one event loop, flushed by a task."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pending: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None

    async def start(self, start: ExecutionStart) -> None:
        await self._submit(start)

    async def close(self, close: ExecutionClose) -> None:
        """Raises ``NotFoundError`` when no row records that run."""
        await self._submit(close)

    async def _submit(self, write: ExecutionStart | ExecutionClose) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((write, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush_soon())
        await future

    async def _flush_soon(self) -> None:
        while self._pending:
            await asyncio.sleep(
                _GATHER_SECONDS
            )  # let the writes of concurrent callers join the batch
            batch, self._pending = self._pending, []
            try:
                errors = await off_loop(run_write, self._engine, _write_batch(batch))
            except Exception:  # noqa: BLE001 - retried one by one below, so each caller gets its own error
                errors = await _write_one_by_one(self._engine, batch)
            for (_, future), error in zip(batch, errors, strict=True):
                if future.done():
                    continue
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)


def _write_batch(batch: list[_Pending]) -> Any:
    def write(session: Session) -> list[Exception | None]:
        # Starts first: a run may start and close within one batch.
        record_execution_starts(
            session, [write for write, _ in batch if isinstance(write, ExecutionStart)]
        )
        closes = [write for write, _ in batch if isinstance(write, ExecutionClose)]
        outcomes = iter(record_execution_closes(session, closes))
        errors: list[Exception | None] = []
        for write, _ in batch:
            if isinstance(write, ExecutionClose) and next(outcomes) == MISSING:
                errors.append(
                    NotFoundError("execution", (write.temporal_workflow_id, write.temporal_run_id))
                )
            else:
                errors.append(None)
        return errors

    return write


async def _write_one_by_one(engine: Engine, batch: list[_Pending]) -> list[Exception | None]:
    """After a batch failed: each write in a transaction of its own, so one bad write fails alone."""
    errors: list[Exception | None] = []
    for pending in batch:
        try:
            (error,) = await off_loop(run_write, engine, _write_batch([pending]))
        except Exception as failure:  # noqa: BLE001 - handed to that write's caller
            error = failure
        errors.append(error)
    return errors


_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, ExecutionWrites]] = (
    weakref.WeakKeyDictionary()
)


def execution_writes(engine: Engine) -> ExecutionWrites:
    per_loop = _writers.setdefault(asyncio.get_running_loop(), {})
    writer = per_loop.get(id(engine))
    if writer is None:
        writer = per_loop[id(engine)] = ExecutionWrites(engine)
    return writer
