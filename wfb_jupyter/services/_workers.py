"""A project's workers: in this process (on the runtime loop) or as sidecar processes, as the database lists
them."""

from __future__ import annotations

import builtins
import contextlib
import os
import signal
import socket

from wfb_jupyter.components import NotebookPlaces, NotebookPlacesInterceptor
from wfb_jupyter.executions import reconcile_project_runs
from wfb_jupyter.services._context import WORKER_TIMEOUT, ServiceContext
from wfb_jupyter.services._errors import NoLocalWorkerError, NoSidecarError
from wfb_jupyter.services._projects import Projects
from wfb_jupyter.services._results import ProjectInfo
from wfb_jupyter.storage import WorkerStatus, worker_statuses
from wfb_jupyter.workers import ProjectWorkerManager, kernel_worker_manager, start_sidecar_worker

ACTIVE_WORKER_STATES = ("starting", "running", "reconnecting")


class Workers:
    def __init__(self, context: ServiceContext, projects: Projects) -> None:
        self._context = context
        self._projects = projects

    def manager(self) -> ProjectWorkerManager:
        """This process's worker manager for the current database (stopped with the kernel)."""
        settings = self._context.settings
        return kernel_worker_manager(
            self._context.engine,
            connection=self._context.temporal,
            heartbeat_interval=settings.heartbeat_interval,
            stale_after=settings.stale_after,
            reconciler=reconcile_project_runs,
            # Read at each activity, so that a %config change applies to the next notebook step.
            interceptors=(
                NotebookPlacesInterceptor(lambda: NotebookPlaces.of(self._context.settings)),
            ),
        )

    def list(self) -> list[WorkerStatus]:
        """Every live worker of the current project (this process's and sidecars), from the database."""
        info = self._projects.current()
        stale_after = self._context.settings.stale_after
        return self._context.read(
            lambda session: list(worker_statuses(session, info.id, stale_after=stale_after))
        )

    def start(self, sidecar: bool | None = None) -> WorkerStatus | None:
        """Start the project's worker here (or as a sidecar process); a running one is reused."""
        info = self._projects.current()
        settings = self._context.settings
        if sidecar is None:
            sidecar = settings.worker_mode == "sidecar"
        if not sidecar:
            return self._context.on_loop(
                self.manager().start_worker_for_project(info.id), WORKER_TIMEOUT
            )
        running = [
            w for w in self.list() if w.mode == "sidecar" and w.status in ACTIVE_WORKER_STATES
        ]
        if running:
            return running[0]
        server = self._context.server()
        pid = start_sidecar_worker(
            info.id,
            database_url=settings.database_url,
            temporal_address=None if server.kind == "local" else server.address,
            namespace=server.namespace,
            data_dir=settings.temporal.local_data_dir,
            heartbeat_interval=settings.heartbeat_interval,
            notebook_places=NotebookPlaces.of(settings),
            environment=settings.payloads.environment(),
        )
        return next((w for w in self.list() if w.pid == pid), None)

    def stop(self, sidecar: bool | None = None) -> builtins.list[WorkerStatus]:
        """Stop the project's worker in this process, or (``sidecar``) its sidecar processes on this host."""
        info = self._projects.current()
        if sidecar:
            return self._stop_sidecars(info)
        manager = self.manager()
        status = manager.status(info.id)
        if status is None or status.status not in ACTIVE_WORKER_STATES:
            raise NoLocalWorkerError(info.name)
        self._context.on_loop(manager.stop_worker_for_project(info.id), WORKER_TIMEOUT)
        return [status]

    def restart(self) -> WorkerStatus:
        info = self._projects.current()
        return self._context.on_loop(
            self.manager().restart_worker_for_project(info.id), WORKER_TIMEOUT
        )

    def ensure_serving(self, info: ProjectInfo) -> str | None:
        """A worker must serve the project for its executions to move: start one when allowed
        (``auto_start_worker``); otherwise the note that says none does, or None."""
        if any(w.status in ACTIVE_WORKER_STATES for w in self.list()):
            return None
        if self._context.settings.auto_start_worker:
            self.start()
            return None
        return (
            f"no worker serves project {info.name!r} (auto_start_worker is off), so its executions "
            "do not move until one is started"
        )

    def after_activation(self, info: ProjectInfo) -> str:
        """Make sure a worker serves what is now active; one line saying how."""
        manager = self.manager()
        local = manager.status(info.id)
        if local is not None and local.status in ACTIVE_WORKER_STATES:
            status = self._context.on_loop(manager.refresh_project(info.id), WORKER_TIMEOUT)
            return f"The in-kernel worker serves: {', '.join(status.loaded_versions)}."
        others = [w for w in self.list() if w.status in ACTIVE_WORKER_STATES]
        if others:
            interval = self._context.settings.heartbeat_interval
            return (
                f"The {others[0].mode} worker (pid {others[0].pid}) loads it on its next heartbeat "
                f"(every {interval:g}s)."
            )
        if not self._context.settings.auto_start_worker:
            return f"No worker serves project {info.name!r}; start one to run it."
        started = self.start()
        if started is None:
            return "Started a sidecar worker."
        loaded = ", ".join(started.loaded_versions)
        return f"Started the {started.mode} worker on task queue {started.task_queue!r}; it serves: {loaded}."

    def _stop_sidecars(self, info: ProjectInfo) -> builtins.list[WorkerStatus]:
        here = socket.gethostname()
        running = [
            w for w in self.list()
            if w.mode == "sidecar" and w.status in ACTIVE_WORKER_STATES and w.host == here and w.pid
        ]  # fmt: skip
        if not running:
            raise NoSidecarError(info.name, here)
        for status in running:
            with contextlib.suppress(ProcessLookupError):  # already gone: its record turns stale
                os.kill(status.pid, signal.SIGTERM)
        return running
