"""Execution rows are written in batches: many starts and closes share one transaction.

Each write still returns only once its batch is committed, so a caller that awaited ``create`` or ``close``
sees the row; what batching saves is one transaction (and one lock on SQLite) per row.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from wfb_jupyter.runtime._threads import off_loop
from wfb_jupyter.storage import run_write

_GATHER_SECONDS = 0.01

Write = Callable[[Session], Any]


class BatchedWrites:
    """A queue of session writes for one engine on one event loop, flushed by a background task."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pending: list[tuple[Write, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def submit(self, write: Write) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((write, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush_soon())
        return await future

    async def _flush_soon(self) -> None:
        while self._pending:
            await asyncio.sleep(
                _GATHER_SECONDS
            )  # let the writes of concurrent callers join the batch
            batch, self._pending = self._pending, []
            try:
                outcomes = await off_loop(run_write, self._engine, _apply_all(batch))
            except BaseException as error:  # noqa: BLE001 - every caller of the batch gets the error
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)


def _apply_all(batch: list[tuple[Write, asyncio.Future[Any]]]) -> Callable[[Session], list[Any]]:
    def apply(session: Session) -> list[tuple[bool, Any]]:
        outcomes: list[tuple[bool, Any]] = []
        for write, _ in batch:
            # A savepoint per write: one bad write fails alone, not the batch it shares.
            try:
                with session.begin_nested():
                    outcomes.append((True, write(session)))
            except Exception as error:  # noqa: BLE001 - handed to that write's caller
                outcomes.append((False, error))
        return outcomes

    return apply


_batches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, BatchedWrites]] = (
    weakref.WeakKeyDictionary()
)


def batched_writes(engine: Engine) -> BatchedWrites:
    per_loop = _batches.setdefault(asyncio.get_running_loop(), {})
    batch = per_loop.get(id(engine))
    if batch is None:
        batch = per_loop[id(engine)] = BatchedWrites(engine)
    return batch
