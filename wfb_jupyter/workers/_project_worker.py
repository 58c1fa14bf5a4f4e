"""One project's worker: a supervised ``temporalio`` Worker that reloads, heartbeats and recovers.

A ``Worker`` object is never reused once stopped (the SDK forbids it): every reload or recovery builds a new one
from the database. The SDK also refuses two live workers of one process on one task queue, so a reload shuts the
old worker down before the new one polls; meanwhile tasks wait in the queue, and running executions continue on
the new worker, which still loads the versions they started on.

A version that stops being active stays loaded for ``retain_versions_for`` seconds: a start planned just before
the activation (in this process or another, whose start plans are cached for a second) may still arrive for it
before its execution row shows that it runs. A start of a version that is not active asks the workers of its
process to load it first (``serve_version``); a version with open executions that the worker does not serve
(started by another process) makes it reload too.

Versions load one by one: one that cannot load is reported (``failed_versions``, and the row's error) while
the others are served.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.worker import Interceptor, Worker

from wfb_jupyter.runtime import off_loop
from wfb_jupyter.storage import (
    RECONNECTING,
    WorkerStatus,
    heartbeat_worker,
    loaded_versions_document,
    mark_stale_workers,
    register_worker,
    run_write,
    update_worker,
    utc_now,
)
from wfb_jupyter.temporal import TemporalConnection
from wfb_jupyter.workers._loading import (
    CodeLoadError,
    ProjectCode,
    active_versions_fingerprint,
    load_project_code,
    running_versions,
)
from wfb_jupyter.workers._local import live_workers
from wfb_jupyter.workers._recording import AttemptRecorder, RecordingInterceptor

logger = logging.getLogger(__name__)

Reconciler = Callable[[Client, str], Awaitable[Any]]

_READY_TIMEOUT = 20.0
_SHUTDOWN_GRACE = timedelta(seconds=5)
_MAX_RECOVERY_DELAY = 30.0


class ProjectWorker:
    def __init__(
        self,
        engine: Engine,
        connection: TemporalConnection,
        project_id: str,
        *,
        mode: str = "in-kernel",
        heartbeat_interval: float = 30.0,
        stale_after: float = 120.0,
        version_check_interval: float = 2.0,
        reconcile_interval: float = 5.0,
        retain_versions_for: float = 60.0,
        drain_timeout: float = _SHUTDOWN_GRACE.total_seconds(),
        reconciler: Reconciler | None = None,
        interceptors: Sequence[Interceptor] = (),
    ) -> None:
        self.engine = engine
        self.connection = connection
        self.project_id = project_id
        self.mode = mode
        self.heartbeat_interval = heartbeat_interval
        self.stale_after = stale_after
        self.version_check_interval = version_check_interval
        self.reconcile_interval = reconcile_interval
        self.retain_versions_for = retain_versions_for
        # How long running activities may take to finish when the worker stops (or is swapped on a reload)
        # before they are cancelled; Temporal retries a cancelled one elsewhere.
        self.drain_timeout = drain_timeout
        self._reconciler = reconciler
        self._interceptors = tuple(interceptors)  # for the activities, after the recording
        self.started_at = utc_now()
        self.state = "starting"
        self.error: str | None = None
        self.row_id: int | None = None
        self.code: ProjectCode | None = None
        self.last_heartbeat_at: datetime | None = None
        self._worker: Worker | None = None
        self._recorder: AttemptRecorder | None = None
        self._fingerprint: tuple[tuple[int, int], ...] = ()
        # (workflow id, version) -> when this worker last knew it active, or a start asked for it
        # (monotonic seconds)
        self._last_active: dict[tuple[int, int], float] = {}
        self.loop: asyncio.AbstractEventLoop | None = None  # the loop it runs on
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[Any]] = []
        self._reload_lock = asyncio.Lock()
        self._stopping = False

    # lifecycle --------------------------------------------------------------------------------------------
    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        live_workers.add(self)
        # The row comes first, so that a worker that cannot start still says why in the worker list.
        self.row_id = await self._write(
            lambda session: register_worker(session, self.project_id, self.mode).id
        )
        try:
            client = await self.connection.get_client()
            code = await self._load_code()
            self._fingerprint = await off_loop(
                active_versions_fingerprint, self.engine, self.project_id
            )
            self._recorder = AttemptRecorder(
                self.engine, self.project_id, code.versions_by_type, worker_id=self.row_id
            )
            await self._launch(client, code)
        except BaseException as error:
            await self._fail(f"did not start: {_reason(error)}")
            raise
        await self._beat()
        self._log(logging.INFO, "worker.started", "serving %s", ", ".join(code.workflow_types))
        self._loops = [
            self._spawn(self._every(self.heartbeat_interval, self._heartbeat)),
            self._spawn(self._every(self.version_check_interval, self._check_versions)),
            self._spawn(self._recorder.run()),
        ]
        if self._reconciler is not None:
            self._loops.append(self._spawn(self._every(self.reconcile_interval, self._reconcile)))

    async def stop(self) -> None:
        """Drain: stop polling, let running activities finish (up to ``drain_timeout``), flush their records,
        mark the row stopped. Meanwhile the row says ``draining``."""
        if self._stopping:
            return
        self._stopping = True
        live_workers.discard(self)
        for task in self._loops:
            task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        if self._worker is not None:
            self.state = "draining"
            self._log(
                logging.INFO, "worker.draining", "draining (up to %.0f s)", self.drain_timeout
            )
            with contextlib.suppress(
                Exception
            ):  # a database that is gone must not keep it from draining
                await self._mark("draining")
            await _shutdown(self._worker, self.drain_timeout)
        if self._recorder is not None:
            await self._recorder.close()
        if self.state != "error":
            self.state = "stopped"  # drained
        await self._mark(self.state, self.error)
        self._log(logging.INFO, "worker.stopped", "stopped (%s)", self.state)
        pending = [task for task in self._tasks if not task.done()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def reload(self) -> bool:
        """Load the versions the database now asks for; swap in a new worker if they changed.

        New code that cannot load leaves the current worker serving what it has, with the reason shown.
        """
        async with self._reload_lock:
            if self._stopping:
                return False
            self._fingerprint = await off_loop(
                active_versions_fingerprint, self.engine, self.project_id
            )
            try:
                code = await self._load_code()
            except CodeLoadError as error:
                self.error = f"still serving the previous versions: {error}"
                await self._beat()
                return False
            if self.code is not None and code.same_code_as(self.code) and self.state == "running":
                self.code = code  # the same modules, but which of them is active may have changed
                if self.error != code.failures_text:
                    self.error = code.failures_text
                    await self._beat()
                return False
            client = await self.connection.get_client()
            old, self._worker = self._worker, None
            if old is not None:
                await _shutdown(old, self.drain_timeout)
            try:
                await self._launch(client, code)
            except Exception as error:  # noqa: BLE001 - the supervisor takes over
                self._spawn(self._recover(error))
                return False
            await self._beat()
            self._log(
                logging.INFO, "worker.reloaded", "now serving %s", ", ".join(code.workflow_types)
            )
            return True

    async def serve_version(self, workflow_id: int, version: int) -> None:
        """Load a stored version now (a start asks for it) and keep it for ``retain_versions_for`` seconds;
        once its execution is recorded as open, that keeps it loaded."""
        self._last_active[(workflow_id, version)] = time.monotonic()
        await self.reload()

    def status(self) -> WorkerStatus:
        code = self.code
        age = None
        if self.last_heartbeat_at is not None:
            age = round((utc_now() - self.last_heartbeat_at).total_seconds(), 1)
        return WorkerStatus(
            worker_id=self.row_id,
            project_id=self.project_id,
            task_queue=code.task_queue if code else "",
            mode=self.mode,
            status=self.state,
            pid=os.getpid(),
            host=socket.gethostname(),
            loaded_versions=code.workflow_types if code else [],
            last_heartbeat_at=self.last_heartbeat_at,
            heartbeat_age_seconds=age,
            error=self.error,
            failed_versions=code.failures_by_type if code else {},
            started_at=self.started_at,
        )

    @property
    def recorder(self) -> AttemptRecorder | None:
        return self._recorder

    # workers ----------------------------------------------------------------------------------------------
    async def _load_code(self) -> ProjectCode:
        now = time.monotonic()
        if self.code is not None:  # what was active at the last load was active until now
            for version in self.code.versions:
                if version.is_active:
                    self._last_active[(version.workflow_id, version.version)] = now
        self._last_active = {
            key: seen
            for key, seen in self._last_active.items()
            if now - seen < self.retain_versions_for
        }
        return await off_loop(
            load_project_code, self.engine, self.project_id, keep=tuple(self._last_active)
        )

    async def _launch(self, client: Client, code: ProjectCode) -> None:
        worker = Worker(
            client,
            task_queue=code.task_queue,
            workflows=[version.workflow_class for version in code.versions],
            activities=list(code.activities),
            interceptors=[RecordingInterceptor(lambda: self._recorder), *self._interceptors],
            identity=f"wfb-{self.mode}-{os.getpid()}@{socket.gethostname()}",
            build_id=code.build_id,
            graceful_shutdown_timeout=timedelta(seconds=self.drain_timeout),
        )
        self._worker, self.code = worker, code
        if self._recorder is not None:
            self._recorder.versions_by_type = code.versions_by_type
        self._spawn(self._run(worker))
        await _wait_until_running(worker)
        self.state, self.error = "running", code.failures_text

    async def _run(self, worker: Worker) -> None:
        try:
            await worker.run()
            failure: BaseException | None = None
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # noqa: BLE001 - the worker's own failure, handled below
            failure = error
        if self._stopping or worker is not self._worker:
            return  # replaced by a reload, or stopped on purpose
        await self._recover(failure or RuntimeError("the worker stopped by itself"))

    async def _recover(self, failure: BaseException) -> None:
        """Rebuild the worker with exponential backoff until Temporal answers again."""
        delay = 1.0
        self.state = "reconnecting"
        self.error = f"{RECONNECTING} after a worker failure: {_reason(failure)}"
        self._log(logging.WARNING, "worker.recovering", "failed (%s); recovering", self.error)
        await self._beat()
        while not self._stopping:
            await asyncio.sleep(delay)
            try:
                # A local server that died is started again (with its history) by whoever needs it first.
                await off_loop(self.connection.revive)
                client = await self.connection.get_client()
                await client.workflow_service.get_system_info(
                    GetSystemInfoRequest(), timeout=timedelta(seconds=5)
                )
                code = await self._load_code()
                await self._launch(client, code)
            except Exception as error:  # noqa: BLE001 - retried with backoff, shown in the status
                self.error = f"{RECONNECTING} (next try in {delay:.0f} s): {_reason(error)}"
                delay = min(delay * 2, _MAX_RECOVERY_DELAY)
                continue
            self._log(logging.INFO, "worker.recovered", "recovered")
            await self._beat()
            return

    # periodic work ----------------------------------------------------------------------------------------
    async def _heartbeat(self) -> None:
        await self._beat()
        stale = timedelta(seconds=self.stale_after)
        await self._write(lambda session: mark_stale_workers(session, stale_after=stale))

    async def _check_versions(self) -> None:
        fingerprint = await off_loop(active_versions_fingerprint, self.engine, self.project_id)
        running = await off_loop(running_versions, self.engine, self.project_id)
        if fingerprint != self._fingerprint or not running <= (
            self.code.known_versions if self.code else frozenset()
        ):
            await self.reload()

    async def _reconcile(self) -> None:
        if self._reconciler is not None and self.state == "running":
            await self._reconciler(await self.connection.get_client(), self.project_id)

    async def _beat(self) -> None:
        """Heartbeat, and make the row say what this process knows: a worker that is recovering from a
        crash or a lost connection is ``error`` with the reason until it serves again."""
        if self.row_id is None:
            return
        code = self.code
        row_id = self.row_id
        versions = loaded_versions_document(
            code.workflow_types if code else [], code.failures_by_type if code else {}
        )
        status = "running" if self.state == "running" else "error"
        error = self.error

        def beat(session: Any) -> None:
            row = heartbeat_worker(session, row_id, loaded_versions=versions)
            if row.status != status or row.error != error:
                update_worker(session, row_id, status=status, error=error)

        await self._write(beat)
        self.last_heartbeat_at = utc_now()

    async def _fail(self, reason: str) -> None:
        self.state, self.error = "error", reason
        self._log(logging.ERROR, "worker.failed", "%s", reason)
        await self._mark("error", reason)

    async def _mark(self, status: str, error: str | None = None) -> None:
        row_id = self.row_id
        if row_id is not None:
            await self._write(
                lambda session: update_worker(session, row_id, status=status, error=error)
            )

    def _log(self, level: int, event: str, message: str, *args: Any) -> None:
        """A log line that says which worker, for people (the text) and for log pipelines (the fields)."""
        fields = {
            "event": event,
            "project": self.project_id,
            "worker_id": self.row_id,
            "mode": self.mode,
            "versions": self.code.workflow_types if self.code else [],
        }
        logger.log(
            level, f"%s worker for %s: {message}", self.mode, self.project_id, *args, extra=fields
        )

    async def _every(self, seconds: float, action: Callable[[], Awaitable[Any]]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await action()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - periodic work must survive a bad round
                logger.exception("periodic work of the %s worker failed", self.project_id)

    async def _write(self, work: Callable[[Any], Any]) -> Any:
        return await off_loop(run_write, self.engine, work)

    def _spawn(self, coroutine: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


async def _wait_until_running(worker: Worker) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _READY_TIMEOUT
    while not worker.is_running:
        if loop.time() > deadline:
            raise TimeoutError(f"the worker did not start polling within {_READY_TIMEOUT:.0f} s")
        await asyncio.sleep(0.02)


async def _shutdown(worker: Worker, drain_timeout: float) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(worker.shutdown(), drain_timeout + 10)


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:300]}" if text else type(error).__name__
