"""Record every activity attempt with its timings, through a worker interceptor and batched writes."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from wfb_jupyter.storage import (
    ActivityAttempt,
    BatchWriter,
    group_commit,
    record_activity_attempts,
    utc_now,
)
from wfb_jupyter.temporal import sdk_metric_meter
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


def _write_attempts(session: Session, attempts: Sequence[ActivityAttempt]) -> list[None]:
    record_activity_attempts(session, attempts)
    return [None] * len(attempts)


ACTIVITY_ATTEMPTS = BatchWriter("activity attempts", _write_attempts)


class AttemptRecorder:
    """Writes attempts through the process's group commit, keeping those the database refused for later.

    ``record`` returns once the attempt is committed, and the interceptor waits for it before the result goes
    back to Temporal: a worker killed at any moment loses at most a report that Temporal then retries, never
    the record of an attempt that ran. Concurrent activities share a commit.
    """

    def __init__(
        self,
        engine: Engine,
        project_id: str,
        versions_by_type: Mapping[str, tuple[int, int]],
        *,
        worker_id: int | None = None,
        batch_size: int = 500,
        wait_limit: float = 10.0,
    ) -> None:
        self._engine = engine
        self._project_id = project_id
        # workflow type -> (workflow id, version), from the versions the worker serves
        self.versions_by_type: Mapping[str, tuple[int, int]] = dict(versions_by_type)
        self.worker_id = worker_id  # the worker's row: each attempt says which worker ran it
        self._batch_size = batch_size
        self._wait_limit = wait_limit
        self._retry: list[ActivityAttempt] = []  # refused by the database; written again by ``run``
        self._in_flight: set[asyncio.Future[list[Any]]] = set()
        self._wakeup = asyncio.Event()
        self.recorded = 0
        # Exported with the SDK's metrics when the process serves them (``wfb worker --metrics``).
        meter = sdk_metric_meter().with_additional_attributes({"project": project_id})
        self._recorded_metric = meter.create_counter(
            "wfb_activity_attempts_recorded",
            "activity attempts this worker recorded in the database",
        )
        self._dropped_metric = meter.create_counter(
            "wfb_activity_attempts_dropped", "activity attempts whose record could not be stored"
        )

    def expect(self) -> Callable[[], None]:
        """Announce an attempt under way, so that a commit due meanwhile waits for its record (briefly)
        rather than committing without it; returns the release that ``record`` calls."""
        return group_commit(self._engine).expect()

    async def record(
        self, attempt: ActivityAttempt, announced: Callable[[], None] | None = None
    ) -> None:
        """Write the attempt, waiting (bounded) until it is committed."""
        # A database that is slow or refuses must not hold the activity's result back for long, nor fail
        # it: the result goes on, and a refused attempt waits in ``_retry`` (``_written`` put it there).
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await _wait_at_most(self._write([attempt], announced), self._wait_limit)

    def _write(
        self, attempts: list[ActivityAttempt], announced: Callable[[], None] | None = None
    ) -> asyncio.Future[list[Any]]:
        try:
            write = group_commit(self._engine).submit(ACTIVITY_ATTEMPTS, attempts)
        finally:
            if announced is not None:
                announced()
        self._in_flight.add(write)
        write.add_done_callback(functools.partial(self._written, attempts))
        return write

    def _written(self, attempts: list[ActivityAttempt], write: asyncio.Future[list[Any]]) -> None:
        self._in_flight.discard(write)
        if write.cancelled() or write.exception() is not None:
            logger.error(
                "could not record %d activity attempts (%s); will retry",
                len(attempts),
                "cancelled" if write.cancelled() else write.exception(),
            )
            self._keep_for_retry(attempts)
            return
        recorded = 0
        for attempt, result in zip(attempts, write.result(), strict=True):
            # An attempt that alone cannot be stored is dropped, loudly.
            if isinstance(result, Exception):
                logger.error("dropped the record of %s: %s", attempt.step_id, result)
                self._dropped_metric.add(1)
            else:
                recorded += 1
        self.recorded += recorded
        if recorded:
            self._recorded_metric.add(recorded)

    def _keep_for_retry(self, attempts: list[ActivityAttempt]) -> None:
        self._retry.extend(attempts)
        if len(self._retry) > _MAX_BUFFERED:
            dropped = len(self._retry) - _MAX_BUFFERED
            del self._retry[:dropped]
            logger.error("activity recording is behind; dropped %d oldest attempts", dropped)
            self._dropped_metric.add(dropped)
        self._wakeup.set()

    def attempt_for(self, info: activity.Info, **fields: Any) -> ActivityAttempt:
        workflow_id, version = self.versions_by_type.get(info.workflow_type or "", (None, None))
        return ActivityAttempt(
            project_id=self._project_id,
            workflow_id=workflow_id,
            version=version,
            worker_id=self.worker_id,
            temporal_workflow_id=info.workflow_id or "",
            temporal_run_id=info.workflow_run_id or "",
            step_id=step_id_of(info.activity_id),
            activity_id=info.activity_id,
            component=component_of(info.activity_type),
            attempt=info.attempt,
            scheduled_at=info.current_attempt_scheduled_time,
            **fields,
        )

    async def run(self) -> None:
        """Write refused attempts again, backing off while the database refuses; cancelled on stop."""
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            await asyncio.sleep(1.0)  # the database refused: give it a moment
            await self._retry_once()

    async def _retry_once(self) -> None:
        batch, self._retry = self._retry[: self._batch_size], self._retry[self._batch_size :]
        if batch:  # a refusal comes back to ``_keep_for_retry`` through ``_written``
            await asyncio.gather(self._write(batch), return_exceptions=True)
        if self._retry:
            self._wakeup.set()

    async def flush(self) -> int:
        """Wait for the writes under way and write what was refused, once (tests and shutdown use it)."""
        before = self.recorded
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        pending = len(self._retry)
        while self._retry and pending > 0:
            pending -= self._batch_size
            await self._retry_once()
        return self.recorded - before

    async def close(self) -> None:
        await self.flush()


async def _wait_at_most(future: asyncio.Future[Any], seconds: float) -> None:
    """Wait until ``future`` is done or ``seconds`` have passed, never cancelling it: what ``wait_for`` of a
    ``shield`` does, without the two extra tasks and futures per activity attempt."""
    if future.done():
        return
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()

    def release(_: object = None) -> None:
        if not waiter.done():
            waiter.set_result(None)

    timer = loop.call_later(seconds, release)
    future.add_done_callback(release)
    try:
        await waiter
    finally:
        timer.cancel()
        future.remove_done_callback(release)


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
        recorder = self._recorder_of()
        announced = recorder.expect() if recorder is not None else None
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
            try:
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
                        ),
                        announced,
                    )
            finally:
                if announced is not None:
                    announced()
