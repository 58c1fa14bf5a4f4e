"""The Workspace's runtime half: executions (run, status, result, signal, query, cancel, terminate) and the
project's workers. Everything here goes through the runtime loop; the storage half is in ``_workspace.py``."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from wfb_jupyter.notebook._errors import WorkspaceError
from wfb_jupyter.notebook._inputs import describe_fields, input_problems_message
from wfb_jupyter.notebook._results import ExecutionSummary, ProjectInfo, RunOutcome

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from temporalio.client import Client

    from wfb_jupyter._settings import WfbSettings
    from wfb_jupyter.temporal import ResolvedServer, TemporalConnection, TemporalSettings

T = TypeVar("T")
ACTIVE_WORKER_STATES = ("starting", "running", "reconnecting")
_WORKER_TIMEOUT = 120.0
_CALL_TIMEOUT = 60.0


class RunAndWorkerOperations:
    """Mixed into ``Workspace``, which provides settings, the engine and the current project."""

    settings: WfbSettings

    if TYPE_CHECKING:  # provided by Workspace

        @property
        def engine(self) -> Engine: ...

        @property
        def database_url(self) -> str: ...

        def project(self, name: str | None = None) -> ProjectInfo: ...

        def manifest(self, name: str, version: int | None = None) -> dict[str, Any]: ...

        def server(self) -> ResolvedServer: ...

        @property
        def temporal(self) -> TemporalConnection: ...

        def temporal_settings(self) -> TemporalSettings: ...

    # -- plumbing -----------------------------------------------------------------------------------------

    def worker_manager(self) -> Any:
        """This process's ``ProjectWorkerManager`` for the current database (stopped with the kernel)."""
        from wfb_jupyter.workers import kernel_worker_manager

        return kernel_worker_manager(
            self.engine,
            connection=self.temporal,
            heartbeat_interval=self.settings.heartbeat_interval,
            stale_after=self.settings.stale_after,
        )

    def _on_loop(
        self, coroutine: Coroutine[Any, Any, T], timeout: float | None = _CALL_TIMEOUT
    ) -> T:
        from wfb_jupyter.runtime import runtime

        return runtime().run(coroutine, timeout)

    def _with_client(
        self,
        call: Callable[[Client], Coroutine[Any, Any, T]],
        timeout: float | None = _CALL_TIMEOUT,
    ) -> T:
        temporal = self.temporal

        async def go() -> T:
            return await call(await temporal.get_client())

        return self._on_loop(go(), timeout)

    # -- workers ------------------------------------------------------------------------------------------

    def workers(self) -> list[Any]:
        """Every worker of the current project (this process's and sidecars), from the database."""
        from wfb_jupyter.storage import session_scope
        from wfb_jupyter.workers import worker_statuses

        info = self.project()
        with session_scope(self.engine) as session:
            return list(worker_statuses(session, info.id, stale_after=self.settings.stale_after))

    def start_worker(self, sidecar: bool | None = None) -> Any:
        """Start the project's worker here (or as a sidecar process); a running one is reused."""
        info = self.project()
        if sidecar is None:
            sidecar = self.settings.worker_mode == "sidecar"
        if sidecar:
            running = [
                w
                for w in self.workers()
                if w.mode == "sidecar" and w.status in ACTIVE_WORKER_STATES
            ]
            if running:
                return running[0]
            from wfb_jupyter.workers import start_sidecar_worker

            server = self.server()
            pid = start_sidecar_worker(
                info.id,
                database_url=self.database_url,
                temporal_address=None if server.kind == "local" else server.address,
                namespace=server.namespace,
                data_dir=self.temporal_settings().local_data_dir,
                heartbeat_interval=self.settings.heartbeat_interval,
            )
            return next((w for w in self.workers() if w.pid == pid), None)
        return self._on_loop(
            self.worker_manager().start_worker_for_project(info.id), _WORKER_TIMEOUT
        )

    def stop_worker(self, sidecar: bool | None = None) -> list[Any]:
        """Stop the project's worker in this process, or (``sidecar``) its sidecar processes on this host."""
        info = self.project()
        if sidecar:
            return self._stop_sidecars()
        manager = self.worker_manager()
        status = manager.status(info.id)
        if status is None or status.status not in ACTIVE_WORKER_STATES:
            raise WorkspaceError(
                f"no worker of project {info.name!r} runs in this kernel; "
                "a sidecar is stopped with %wfb workers stop --sidecar"
            )
        self._on_loop(manager.stop_worker_for_project(info.id), _WORKER_TIMEOUT)
        return [status]

    def restart_worker(self) -> Any:
        info = self.project()
        return self._on_loop(
            self.worker_manager().restart_worker_for_project(info.id), _WORKER_TIMEOUT
        )

    def _stop_sidecars(self) -> list[Any]:
        import signal

        here = socket.gethostname()
        running = [
            w for w in self.workers()
            if w.mode == "sidecar" and w.status in ACTIVE_WORKER_STATES and w.host == here and w.pid
        ]  # fmt: skip
        if not running:
            raise WorkspaceError(
                f"no sidecar worker of project {self.project().name!r} runs on {here}"
            )
        for status in running:
            with contextlib.suppress(ProcessLookupError):  # already gone: its record turns stale
                os.kill(status.pid, signal.SIGTERM)
        return running

    def _ensure_worker(self, info: ProjectInfo) -> str | None:
        """A worker must serve the project for its executions to move: start one when allowed
        (``settings.auto_start_worker``); otherwise the note that says none does, or None."""
        if any(w.status in ACTIVE_WORKER_STATES for w in self.workers()):
            return None
        if self.settings.auto_start_worker:
            self.start_worker()
            return None
        return (
            f"no worker serves project {info.name!r} (auto_start_worker is off), so its executions "
            "do not move; start one with %wfb workers start"
        )

    def _after_activation(self, info: ProjectInfo) -> str:
        """Make sure the worker serves what is now active; returns one line saying how."""
        try:
            manager = self.worker_manager()
        except ImportError:
            return ""
        local = manager.status(info.id)
        if local is not None and local.status in ACTIVE_WORKER_STATES:
            status = self._on_loop(manager.refresh_project(info.id), _WORKER_TIMEOUT)
            return f"The in-kernel worker serves: {', '.join(status.loaded_versions)}."
        sidecars = [w for w in self.workers() if w.status in ACTIVE_WORKER_STATES]
        if sidecars:
            return (
                f"The {sidecars[0].mode} worker (pid {sidecars[0].pid}) loads it on its next heartbeat "
                f"(every {self.settings.heartbeat_interval:g}s)."
            )
        if not self.settings.auto_start_worker:
            return f"No worker serves project {info.name!r}; start one with %wfb workers start."
        status = self.start_worker()
        if status is None:
            return "Started a sidecar worker."
        loaded = ", ".join(status.loaded_versions)
        return f"Started the {status.mode} worker on task queue {status.task_queue!r}; it serves: {loaded}."

    # -- executions ---------------------------------------------------------------------------------------

    def run(
        self,
        name: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        version: int | None = None,
        wait: bool = False,
        timeout: float | None = None,
        workflow_id: str | None = None,
    ) -> Any:
        """Start an execution of the active version (or ``version``); with ``wait``, block for its outcome.

        Returns the ``ExecutionRef``, or with ``wait`` a ``RunOutcome``. Invalid input is refused before
        anything starts, with the fields the workflow takes.
        """
        from compiler import validate_input
        from wfb_jupyter.executions import start_execution

        info = self.project()
        manifest = self.manifest(name, version)
        schema = manifest.get("input_schema", {})
        values = {k: v for k, v in dict(inputs or {}).items() if v is not None}
        problems = validate_input(schema, values)
        if problems:
            raise WorkspaceError(
                input_problems_message(name, manifest["version"], problems, schema)
            )
        self._ensure_worker(info)
        ref = self._with_client(
            lambda client: start_execution(
                self.engine,
                client,
                info.id,
                name,
                values,
                version=version,
                workflow_id=workflow_id,
                stale_after=self.settings.stale_after,
            )  # fmt: skip
        )
        if not wait:
            return ref
        return self.wait(ref, timeout)

    def wait(self, execution: Any, timeout: float | None = None) -> RunOutcome:
        """Block until the execution closes; the outcome says how it ended (a failure is not raised)."""
        from wfb_jupyter.executions import ExecutionFailedError, wait_for_result

        ref = self._ref(execution)
        note = self._ensure_worker(self.project())
        if note is not None and self._record_status(ref) == "running":
            raise WorkspaceError(f"not waiting for {ref.workflow_id}: {note}")
        limit = None if timeout is None else timeout + 5
        try:
            result = self._with_client(
                lambda client: wait_for_result(self.engine, client, ref, timeout), limit
            )
        except ExecutionFailedError as failure:
            return RunOutcome(ref, failure.status, None, failure.error, self.execution_link(ref))
        return RunOutcome(ref, "completed", result, None, self.execution_link(ref))

    def status(self, execution: Any) -> Any:
        from dataclasses import replace

        from wfb_jupyter.executions import describe_execution

        ref = self._ref(execution)
        note = self._ensure_worker(self.project())
        state = self._with_client(lambda client: describe_execution(self.engine, client, ref))
        return replace(state, note=note) if note and state.running else state

    def result(self, execution: Any, timeout: float | None = None) -> Any:
        outcome = self.wait(execution, timeout)
        if outcome.status != "completed":
            raise WorkspaceError(
                f"execution {outcome.ref.workflow_id!r} ended {outcome.status}: {outcome.error}"
            )
        return outcome.result

    def signal(self, execution: Any, signal: str, payload: Any = None) -> str | None:
        """Send a signal; a payload that does not fit the signal's declared fields is refused unsent.

        Returns a note when no worker serves the project (the signal waits in the execution until one does).
        """
        from compiler import validate_input
        from wfb_jupyter.executions import signal_execution

        ref = self._ref(execution)
        schema = self.signal_schema(ref, signal)
        if schema is not None and (schema.get("properties") or payload is not None):
            problems = validate_input(schema, payload if payload is not None else {})
            if problems:
                raise WorkspaceError(
                    f"signal {signal!r} was not sent to {ref.workflow_id}: "
                    + "; ".join(problems)
                    + f" (it takes: {describe_fields(schema)})"
                )
        note = self._ensure_worker(self.project())
        self._with_client(
            lambda client: signal_execution(self.engine, client, ref, signal, payload)
        )
        return note

    def signal_schema(self, execution: Any, signal: str) -> dict[str, Any] | None:
        """The payload schema of a signal the execution's version declares (None for undeclared names)."""
        ref = self._ref(execution)
        signals = self.manifest(ref.workflow_name, ref.version).get("signals", {})
        return dict(signals[signal]) if signal in signals else None

    def query(self, execution: Any, query: str, *args: Any) -> Any:
        from wfb_jupyter.executions import query_execution

        ref = self._ref(execution)
        note = self._ensure_worker(self.project())
        if note is not None:
            raise WorkspaceError(f"query {query!r} cannot be answered: {note}")
        return self._with_client(
            lambda client: query_execution(self.engine, client, ref, query, *args)
        )

    def cancel(self, execution: Any) -> None:
        from wfb_jupyter.executions import cancel_execution

        ref = self._ref(execution)
        self._ensure_worker(self.project())  # the execution itself carries out the cancellation
        self._with_client(lambda client: cancel_execution(client, ref))

    def terminate(self, execution: Any, reason: str = "") -> None:
        from wfb_jupyter.executions import terminate_execution

        ref = self._ref(execution)
        self._with_client(lambda client: terminate_execution(self.engine, client, ref, reason))

    def executions(self, name: str | None = None, limit: int | None = 20) -> list[ExecutionSummary]:
        """The project's latest executions, newest first (from the database)."""
        from wfb_jupyter.storage import list_executions, list_workflows, session_scope

        info = self.project()
        with session_scope(self.engine) as session:
            names = {w.id: w.name for w in list_workflows(session, info.id)}
            workflow_id = None
            if name is not None:
                workflow_id = next((i for i, n in names.items() if n == name), None)
                if workflow_id is None:
                    raise WorkspaceError(f"there is no workflow {name!r} in project {info.name!r}")
            rows = list_executions(
                session, project_id=info.id, workflow_id=workflow_id, limit=limit
            )
            return [
                ExecutionSummary(
                    names.get(r.workflow_id, "?"),
                    r.version,
                    r.temporal_workflow_id,
                    r.temporal_run_id,
                    r.status,
                    r.started_at,
                    r.duration_ms,
                    r.error,
                    r.result,
                )  # fmt: skip
                for r in rows
            ]

    def _record_status(self, ref: Any) -> str | None:
        from wfb_jupyter.storage import find_execution, session_scope

        with session_scope(self.engine) as session:
            record = find_execution(session, ref.workflow_id, ref.run_id)
            return record.status if record is not None else None

    def execution_link(self, execution: Any) -> str | None:
        """The execution in the Temporal Web UI, when the server has one."""
        ref = self._ref(execution)
        return self.server().execution_url(ref.workflow_id, ref.run_id)

    def executions_link(self, name: str | None = None) -> str | None:
        """The Web UI's list of this project's executions (of one workflow), filtered by search attributes."""
        info = self.project()
        terms = {"WfbUser": self.settings.user, "WfbProject": info.name, "WfbWorkflow": name}
        query = " AND ".join(
            f'{key}="{value.replace(chr(34), "")}"' for key, value in terms.items() if value
        )
        return self.server().workflows_url(query)

    def _ref(self, execution: Any) -> Any:
        if isinstance(execution, RunOutcome):
            return execution.ref
        if isinstance(execution, str):
            from wfb_jupyter.executions import find_execution_ref
            from wfb_jupyter.storage import session_scope

            with session_scope(self.engine) as session:
                return find_execution_ref(session, self.project().id, execution)
        if hasattr(execution, "workflow_id") and hasattr(execution, "run_id"):
            return execution
        raise WorkspaceError(
            f"expected an execution (a workflow id, or what run returned), got {type(execution).__name__}"
        )
