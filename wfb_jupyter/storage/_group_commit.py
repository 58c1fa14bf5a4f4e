"""Group commit: the writes of one process for one database, made from one event loop, share transactions.

Execution rows and activity attempts arrive a few at a time from many concurrent runs. Each caller awaits its
own write, but the writes that arrive while a commit is due are committed together: one transaction and one
turn at SQLite's write lock for all of them. Work that will write soon (a running activity) is announced with
``expect``: a commit waits for announced writes, up to ``min_interval`` after the last commit, and not at all
when none are announced. So a lone workflow's writes commit at once, and a busy process commits at most
``min_interval`` apart, keeping the cost of committing bounded however fast the writes come.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from wfb_jupyter.runtime import off_loop
from wfb_jupyter.storage._engine import run_write

Item = TypeVar("Item")
Result = TypeVar("Result")

MIN_COMMIT_INTERVAL = 0.05


class BatchWriter(Generic[Item, Result]):
    """Writes a batch of items in the caller's transaction; one result per item, in order.

    A result that is an exception fails that item's caller alone (a close for a run that has no row, say).
    """

    def __init__(self, name: str, write: Callable[[Session, Sequence[Item]], list[Result]]) -> None:
        self.name = name
        self.write = write

    def __repr__(self) -> str:
        return f"BatchWriter({self.name!r})"


_Entry = tuple[BatchWriter[Any, Any], list[Any], "asyncio.Future[list[Any]]"]


class GroupCommit:
    def __init__(self, engine: Engine, min_interval: float = MIN_COMMIT_INTERVAL) -> None:
        self._engine = engine
        self._min_interval = min_interval
        self._pending: list[_Entry] = []
        self._flusher: asyncio.Task[None] | None = None
        self._last_commit = float("-inf")
        self._expected = 0
        self._arrived: asyncio.Event | None = None

    def expect(self) -> Callable[[], None]:
        """Announce a write that will come soon; call what this returns when it came (or never will).
        Calling it again does nothing."""
        self._expected += 1
        released = False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            self._expected -= 1
            if self._expected == 0 and self._arrived is not None:
                self._arrived.set()

        return release

    async def write(self, writer: BatchWriter[Item, Result], items: Sequence[Item]) -> list[Result]:
        """Write ``items`` with ``writer`` in the next group commit; returns once it is committed.

        Raises what the transaction raised (a ``StorageError``) when the whole commit failed; a per-item
        exception from the writer comes back as that item's result.
        """
        # Shielded: a caller that gives up leaves its write in the commit.
        return await asyncio.shield(self.submit(writer, items))

    def submit(
        self, writer: BatchWriter[Item, Result], items: Sequence[Item]
    ) -> asyncio.Future[list[Result]]:
        """``write`` without waiting: the future of its results, set once the commit is done."""
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        if not items:
            future.set_result([])
            return future
        self._pending.append((writer, list(items), future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush_when_due())
        return future

    async def _flush_when_due(self) -> None:
        while self._pending:
            # At least one turn of the loop, so that concurrent callers join.
            await asyncio.sleep(0)
            await self._await_expected(self._last_commit + self._min_interval)
            batch, self._pending = self._pending, []
            self._last_commit = time.monotonic()
            try:
                try:
                    results = await off_loop(run_write, self._engine, _commit(batch))
                except _ItemFailed as failed:  # rolled back: again, each writer and item isolated
                    isolated = _commit(batch, suspect=failed.writer)
                    results = await off_loop(run_write, self._engine, isolated)
            except BaseException as error:  # noqa: BLE001 - every caller of this commit gets the error
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                if not isinstance(error, Exception):
                    raise
                continue
            for (_, _, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _await_expected(self, due: float) -> None:
        """Wait while announced writes are still to come, until ``due`` at the latest."""
        while self._expected > 0:
            left = due - time.monotonic()
            if left <= 0:
                return
            self._arrived = self._arrived or asyncio.Event()
            self._arrived.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)


class _ItemFailed(Exception):
    """A writer raised for something other than the database as a whole: find the culprit in isolation."""

    def __init__(self, writer: BatchWriter[Any, Any]) -> None:
        super().__init__(f"{writer!r} failed")
        self.writer = writer


def _commit(
    batch: list[_Entry], suspect: BatchWriter[Any, Any] | None = None
) -> Callable[[Session], list[list[Any]]]:
    """The transaction writing ``batch``. It first runs without savepoints (they cost statements on every
    commit); when a writer fails it runs again isolated, with that writer's items one by one, so that a bad
    item fails alone."""

    def write(session: Session) -> list[list[Any]]:
        grouped: dict[BatchWriter[Any, Any], list[Any]] = {}
        # In arrival order: a run's start is written before its close.
        for writer, items, _ in batch:
            grouped.setdefault(writer, []).extend(items)
        results: dict[BatchWriter[Any, Any], list[Any]] = {}
        for writer, items in grouped.items():
            if suspect is not None:
                results[writer] = _write_isolated(session, writer, items, writer is suspect)
                continue
            try:
                results[writer] = _checked(writer, items, writer.write(session, items))
            except Exception as error:
                if _is_whole_database(error):
                    raise
                raise _ItemFailed(writer) from error
        taken: dict[BatchWriter[Any, Any], int] = {}
        per_entry = []
        for writer, items, _ in batch:
            start = taken.get(writer, 0)
            per_entry.append(results[writer][start : start + len(items)])
            taken[writer] = start + len(items)
        return per_entry

    return write


def _checked(writer: BatchWriter[Any, Any], items: list[Any], results: list[Any]) -> list[Any]:
    if len(results) != len(items):
        raise TypeError(f"{writer!r} returned {len(results)} results for {len(items)} items")
    return results


def _write_isolated(
    session: Session, writer: BatchWriter[Any, Any], items: list[Any], suspect: bool
) -> list[Any]:
    """All items at once unless the writer is the suspect (or fails again), then one by one, so that a bad item
    fails alone: its result is the error, and its savepoint undid whatever it wrote."""
    if not suspect:
        try:
            return _write_in_savepoint(session, writer, items)
        except Exception as error:  # noqa: BLE001 - retried item by item below
            if _is_whole_database(error):
                raise
    return [_write_one(session, writer, item) for item in items]


def _write_one(session: Session, writer: BatchWriter[Any, Any], item: Any) -> Any:
    try:
        (result,) = _write_in_savepoint(session, writer, [item])
    except Exception as error:  # noqa: BLE001 - handed to that item's caller
        if _is_whole_database(error):
            raise
        return error
    return result


def _write_in_savepoint(
    session: Session, writer: BatchWriter[Any, Any], items: list[Any]
) -> list[Any]:
    with session.begin_nested():  # a failure, a wrong count included, undoes what the writer wrote
        return _checked(writer, items, writer.write(session, items))


def _is_whole_database(error: BaseException) -> bool:
    # Locked, full, read-only or unreachable: no item is to blame, and run_write retries what can be retried.
    return isinstance(error, OperationalError)


_commits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, GroupCommit]] = (
    weakref.WeakKeyDictionary()
)


def group_commit(engine: Engine) -> GroupCommit:
    """The group commit of ``engine`` on the running event loop."""
    per_loop = _commits.setdefault(asyncio.get_running_loop(), {})
    commit = per_loop.get(id(engine))
    if commit is None:
        commit = per_loop[id(engine)] = GroupCommit(engine)
    return commit
