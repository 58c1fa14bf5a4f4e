"""Record every activity attempt with its timings, through a worker interceptor and batched writes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from wfb_jupyter.runtime._threads import off_loop
from wfb_jupyter.storage import ActivityAttempt, record_activity_attempts, run_write
from wfb_jupyter.storage._types import utc_now
from wfb_jupyter.workers._loading import BUILTIN_ACTIVITY_PREFIX

logger = logging.getLogger(__name__)

_MAX_ERROR_TEXT = 2000
_MAX_BUFFERED = (
    100_000  # past this (a database down for long), the oldest attempts are dropped, loudly
)


def step_id_of(activity_id: str) -> str:
    """Generated workflows use ``step``, ``step[i]`` and ``step#n`` as activity ids; the step is the stem."""
    for marker in ("[", "#"):
        activity_id = activity_id.split(marker, 1)[0]
    return activity_id


def component_of(activity_type: str) -> str:
    if activity_type.startswith(BUILTIN_ACTIVITY_PREFIX):
        return activity_type[len(BUILTIN_ACTIVITY_PREFIX) :]
    name, _, version = activity_type.rpartition(".v")
    return name if name and version.isdigit() else activity_type


class AttemptRecorder:
    """Buffers attempts and writes them in batches (group commit) on the worker's loop.

    ``record`` returns once the batch holding the attempt is committed, and the interceptor waits for it
    before the result goes back to Temporal: a worker killed at any moment loses at most a report that
    Temporal then retries, never the record of an attempt that ran. Concurrent activities share a commit.
    """

    def __init__(
        self,
        engine: Engine,
        project_id: str,
        workflow_ids_by_type: Mapping[str, int],
        *,
        gather_seconds: float = 0.005,
        batch_size: int = 500,
        wait_limit: float = 10.0,
    ) -> None:
        self._engine = engine
        self._project_id = project_id
        self.workflow_ids_by_type: Mapping[str, int] = dict(workflow_ids_by_type)
        self._gather_seconds = gather_seconds
        self._batch_size = batch_size
        self._wait_limit = wait_limit
        self._buffer: list[tuple[ActivityAttempt, asyncio.Future[None]]] = []
        self._wakeup = asyncio.Event()
        self._flush_lock = asyncio.Lock()
        self.recorded = 0

    async def record(self, attempt: ActivityAttempt) -> None:
        """Queue the attempt and wait (bounded) until it is committed."""
        committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._buffer.append((attempt, committed))
        if len(self._buffer) > _MAX_BUFFERED:
            dropped = len(self._buffer) - _MAX_BUFFERED
            for _, future in self._buffer[:dropped]:
                future.cancel()
            del self._buffer[:dropped]
            logger.error("activity recording is behind; dropped %d oldest attempts", dropped)
        self._wakeup.set()
        # A database that is down must not hold activity results back for long: they go on, and the
        # attempt stays queued for the next flush.
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(committed), self._wait_limit)

    def attempt_for(self, info: activity.Info, **fields: Any) -> ActivityAttempt:
        return ActivityAttempt(
            project_id=self._project_id,
            workflow_id=self.workflow_ids_by_type.get(info.workflow_type or ""),
            temporal_workflow_id=info.workflow_id or "",
            temporal_run_id=info.workflow_run_id or "",
            step_id=step_id_of(info.activity_id),
            component=component_of(info.activity_type),
            attempt=info.attempt,
            scheduled_at=info.current_attempt_scheduled_time,
            **fields,
        )

    async def run(self) -> None:
        """Flush whenever attempts arrive; cancelled when the worker stops (``close`` writes the rest)."""
        while True:
            await self._wakeup.wait()
            if len(self._buffer) < self._batch_size:
                await asyncio.sleep(
                    self._gather_seconds
                )  # let concurrent attempts join this commit
            self._wakeup.clear()
            if not await self._flush_once():
                await asyncio.sleep(1.0)  # the database refused: back off before trying again

    async def flush(self) -> int:
        """Write everything queued now (tests and shutdown use it)."""
        before = self.recorded
        while self._buffer and await self._flush_once():
            pass
        return self.recorded - before

    async def _flush_once(self) -> bool:
        async with self._flush_lock:
            batch, self._buffer = self._buffer[: self._batch_size], self._buffer[self._batch_size :]
            if not batch:
                return True
            attempts = [attempt for attempt, _ in batch]
            try:
                written = await off_loop(
                    run_write,
                    self._engine,
                    lambda session: record_activity_attempts(session, attempts),
                )
            except Exception:  # noqa: BLE001 - kept for the next flush rather than lost
                logger.exception("could not record %d activity attempts; will retry", len(batch))
                self._buffer[:0] = batch
                self._wakeup.set()
                return False
            self.recorded += written
            for _, committed in batch:
                if not committed.done():
                    committed.set_result(None)
            return True

    async def close(self) -> None:
        await self.flush()


class RecordingInterceptor(Interceptor):
    """Worker interceptor: each activity attempt is timed and handed to the recorder."""

    def __init__(self, recorder_of: Callable[[], AttemptRecorder | None]) -> None:
        self._recorder_of = recorder_of

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _RecordingActivityInbound(next, self._recorder_of)


class _RecordingActivityInbound(ActivityInboundInterceptor):
    def __init__(
        self, next: ActivityInboundInterceptor, recorder_of: Callable[[], AttemptRecorder | None]
    ) -> None:
        super().__init__(next)
        self._recorder_of = recorder_of

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        started = utc_now()
        status, error, error_type = "completed", None, None
        try:
            return await super().execute_activity(input)
        except asyncio.CancelledError:
            status, error, error_type = "cancelled", "cancelled", "CancelledError"
            raise
        except BaseException as failure:
            status = "failed"
            error = (str(failure) or type(failure).__name__)[:_MAX_ERROR_TEXT]
            error_type = (
                failure.type if isinstance(failure, ApplicationError) and failure.type else None
            ) or type(failure).__name__
            raise
        finally:
            recorder = self._recorder_of()
            if recorder is not None:
                finished = utc_now()
                await recorder.record(
                    recorder.attempt_for(
                        activity.info(),
                        status=status,
                        started_at=started,
                        finished_at=finished,
                        error=error,
                        error_type=error_type,
                    )
                )
