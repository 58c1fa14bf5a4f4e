"""``ProjectWorkerManager``: one supervised worker per project in this process (the seed's lifecycle)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import Interceptor

from wfb_jupyter.errors import WorkerError
from wfb_jupyter.storage import WorkerStatus
from wfb_jupyter.temporal import TemporalConnection, connection
from wfb_jupyter.workers._loading import CodeLoadError
from wfb_jupyter.workers._project_worker import ProjectWorker, Reconciler

logger = logging.getLogger(__name__)

# (engine, client, project id) -> closes the records of the project's runs that have ended
ExecutionReconciler = Callable[[Engine, Client, str], Awaitable[Any]]


class WorkerStartError(WorkerError, RuntimeError):
    """A project's worker could not start; the message says why and the worker row says ``error``."""


class ProjectWorkerManager:
    def __init__(
        self,
        engine: Engine,
        *,
        connection: TemporalConnection | None = None,
        mode: str = "in-kernel",
        heartbeat_interval: float = 30.0,
        stale_after: float = 120.0,
        version_check_interval: float = 2.0,
        reconcile_interval: float = 5.0,
        retain_versions_for: float = 60.0,
        drain_timeout: float = 5.0,
        reconciler: ExecutionReconciler | None = None,
        interceptors: Sequence[Interceptor] = (),
    ) -> None:
        self.engine = engine
        self._connection = connection
        self.mode = mode
        self.heartbeat_interval = heartbeat_interval
        self.stale_after = stale_after
        self.version_check_interval = version_check_interval
        self.reconcile_interval = reconcile_interval
        self.retain_versions_for = retain_versions_for
        self.drain_timeout = drain_timeout
        # Closes the records of runs whose starter is gone; given by the layer above, which knows executions.
        self.reconciler = reconciler
        # Given by the layer above too: what the activities need from the settings (the notebook places).
        self.interceptors = tuple(interceptors)
        self._workers: dict[str, ProjectWorker] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def connection(self) -> TemporalConnection:
        return self._connection or connection()

    async def start_worker_for_project(self, project_id: str) -> WorkerStatus:
        """Start the project's worker, or return the running one."""
        async with self._lock(project_id):
            existing = self._workers.get(project_id)
            if existing is not None and existing.state in ("running", "reconnecting"):
                return existing.status()
            if existing is not None:
                await existing.stop()
            worker = ProjectWorker(
                self.engine,
                self.connection,
                project_id,
                mode=self.mode,
                heartbeat_interval=self.heartbeat_interval,
                stale_after=self.stale_after,
                version_check_interval=self.version_check_interval,
                reconcile_interval=self.reconcile_interval,
                retain_versions_for=self.retain_versions_for,
                drain_timeout=self.drain_timeout,
                reconciler=self._reconcile_with() if self.reconciler is not None else None,
                interceptors=self.interceptors,
            )
            try:
                await worker.start()
            except CodeLoadError as error:
                await worker.stop()
                raise WorkerStartError(f"the worker for project {project_id!r}: {error}") from error
            except Exception as error:
                await worker.stop()
                raise WorkerStartError(
                    f"the worker for project {project_id!r} did not start: {error}"
                ) from error
            self._workers[project_id] = worker
            return worker.status()

    async def stop_worker_for_project(self, project_id: str) -> None:
        async with self._lock(project_id):
            worker = self._workers.pop(project_id, None)
            if worker is not None:
                await worker.stop()

    async def restart_worker_for_project(self, project_id: str) -> WorkerStatus:
        await self.stop_worker_for_project(project_id)
        return await self.start_worker_for_project(project_id)

    async def refresh_project(self, project_id: str) -> WorkerStatus:
        """Load newly stored or activated versions now instead of at the next check."""
        worker = self._workers.get(project_id)
        if worker is None or worker.state not in ("running", "reconnecting"):
            return await self.start_worker_for_project(project_id)
        async with self._lock(project_id):
            await worker.reload()
            return worker.status()

    def status(self, project_id: str) -> WorkerStatus | None:
        worker = self._workers.get(project_id)
        return worker.status() if worker is not None else None

    def statuses(self) -> list[WorkerStatus]:
        return [worker.status() for worker in self._workers.values()]

    def worker(self, project_id: str) -> ProjectWorker | None:
        return self._workers.get(project_id)

    async def stop_all(self) -> None:
        outcomes = await asyncio.gather(
            *(self.stop_worker_for_project(project_id) for project_id in list(self._workers)),
            return_exceptions=True,
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                logger.error("stopping a project worker failed", exc_info=outcome)

    def _lock(self, project_id: str) -> asyncio.Lock:
        return self._locks.setdefault(project_id, asyncio.Lock())

    def _reconcile_with(self) -> Reconciler:
        reconciler = self.reconciler
        assert reconciler is not None

        async def reconcile(client: Client, project_id: str) -> None:
            await reconciler(self.engine, client, project_id)

        return reconcile


_kernel_managers: dict[str, ProjectWorkerManager] = {}
_kernel_lock = threading.Lock()


def kernel_worker_manager(engine: Engine, **options: Any) -> ProjectWorkerManager:
    """The process-wide manager for ``engine``'s database, stopped with the runtime (kernel shutdown)."""
    from wfb_jupyter.runtime import runtime

    key = engine.url.render_as_string(hide_password=False)
    with _kernel_lock:
        manager = _kernel_managers.get(key)
        if manager is None:
            manager = _kernel_managers[key] = ProjectWorkerManager(engine, **options)
            runtime().add_shutdown_hook(manager.stop_all)
        return manager
