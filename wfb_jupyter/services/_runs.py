"""Executions: start them (with the input checked first), find them by id, list them, and steer them.

Whatever touches a project's executions makes sure a worker serves the project when ``auto_start_worker`` is
on, and says so when it is off and none does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from wfb_jupyter.compiler import validate_input
from wfb_jupyter.errors import InputError, StateError
from wfb_jupyter.executions import (
    ExecutionFailedError,
    ExecutionRef,
    ExecutionState,
    UpdateOutcome,
    cancel_execution,
    describe_execution,
    find_execution_ref,
    query_execution,
    signal_execution,
    start_execution,
    terminate_execution,
    update_execution,
    wait_for_result,
)
from wfb_jupyter.services._context import ServiceContext
from wfb_jupyter.services._errors import UnknownWorkflowNameError
from wfb_jupyter.services._handle import ExecutionHandle
from wfb_jupyter.services._inputs import describe_fields, input_problems_message
from wfb_jupyter.services._projects import Projects
from wfb_jupyter.services._results import ExecutionSummary, RunOutcome
from wfb_jupyter.services._run_graph import AttemptRow, RunGraph, step_progress
from wfb_jupyter.services._versions import Versions
from wfb_jupyter.services._workers import Workers
from wfb_jupyter.storage import (
    find_execution,
    list_activity_attempts,
    list_executions,
    list_workflows,
)
from wfb_jupyter.workers import serve_for_start


class Runs:
    def __init__(
        self, context: ServiceContext, projects: Projects, versions: Versions, workers: Workers
    ) -> None:
        self._context = context
        self._projects = projects
        self._versions = versions
        self._workers = workers

    def start(
        self,
        name: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        version: int | None = None,
        workflow_id: str | None = None,
    ) -> ExecutionHandle:
        """Start an execution of the active version (or ``version``). Invalid input is refused before anything
        starts, with the fields the workflow takes."""
        info = self._projects.current()
        manifest = self._versions.manifest(name, version)
        schema = manifest.get("input_schema", {})
        values = {k: v for k, v in dict(inputs or {}).items() if v is not None}
        problems = validate_input(schema, values)
        if problems:
            raise InputError(input_problems_message(name, manifest["version"], problems, schema))
        self._workers.ensure_serving(info)
        stale_after = self._context.settings.stale_after
        engine = self._context.engine

        async def load_version(workflow_db_id: int, number: int) -> None:
            await serve_for_start(engine, info.id, workflow_db_id, number)

        ref = self._context.with_client(
            lambda client: start_execution(
                engine,
                client,
                info.id,
                name,
                values,
                version=version,
                workflow_id=workflow_id,
                stale_after=stale_after,
                load_version=load_version,
            )  # fmt: skip
        )
        return ExecutionHandle(self, ref)

    def get(self, workflow_id: str) -> ExecutionHandle:
        """The latest run with this workflow id in the current project."""
        project_id = self._projects.current().id
        ref = self._context.read(
            lambda session: find_execution_ref(session, project_id, workflow_id)
        )
        return ExecutionHandle(self, ref)

    def list(self, name: str | None = None, limit: int | None = 20) -> list[ExecutionSummary]:
        """The project's latest executions, newest first (from the database)."""
        info = self._projects.current()

        def read(session: Any) -> list[ExecutionSummary]:
            names = {w.id: w.name for w in list_workflows(session, info.id)}
            workflow_id = None
            if name is not None:
                workflow_id = next((i for i, n in names.items() if n == name), None)
                if workflow_id is None:
                    raise UnknownWorkflowNameError(name, info.name, sorted(names.values()))
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

        return self._context.read(read)

    def link(self, name: str | None = None) -> str | None:
        """The Web UI's list of this project's executions (of one workflow), filtered by search attributes."""
        info = self._projects.current()
        terms = {"WfbUser": self._context.config.user, "WfbProject": info.name, "WfbWorkflow": name}
        query = " AND ".join(
            f'{key}="{value.replace(chr(34), "")}"' for key, value in terms.items() if value
        )
        return self._context.server().workflows_url(query)

    # -- one execution (ExecutionHandle calls these) --------------------------------------------------------

    def execution_link(self, ref: ExecutionRef) -> str | None:
        return self._context.server().execution_url(ref.workflow_id, ref.run_id)

    def wait(self, ref: ExecutionRef, timeout: float | None = None) -> RunOutcome:
        note = self._workers.ensure_serving(self._projects.current())
        if note is not None and self._record_status(ref) == "running":
            raise StateError(f"not waiting for {ref.workflow_id}: {note}")
        engine = self._context.engine
        limit = None if timeout is None else timeout + 5
        try:
            result = self._context.with_client(
                lambda client: wait_for_result(engine, client, ref, timeout), limit
            )
        except ExecutionFailedError as failure:
            return RunOutcome(ref, failure.status, None, failure.error, self.execution_link(ref))
        return RunOutcome(ref, "completed", result, None, self.execution_link(ref))

    def status(self, ref: ExecutionRef) -> ExecutionState:
        note = self._workers.ensure_serving(self._projects.current())
        engine = self._context.engine
        state = self._context.with_client(lambda client: describe_execution(engine, client, ref))
        return replace(state, note=note) if note and state.running else state

    def graph(self, ref: ExecutionRef, state: ExecutionState | None = None) -> RunGraph:
        """Where the run is, step by step, to draw on its workflow's graph; from ``state`` when the caller
        has just read it (a live view), unless it lacks the progress of a run that has ended."""
        if state is None or (state.progress is None and not state.running):
            self._workers.ensure_serving(self._projects.current())
            engine = self._context.engine
            state = self._context.with_client(
                lambda client: describe_execution(engine, client, ref, progress_when_closed=True)
            )
        attempts = self._context.read(
            lambda session: [
                AttemptRow(
                    row.activity_id or row.step_id,
                    row.attempt,
                    row.status,
                    row.duration_ms,
                    row.error,
                )
                for row in list_activity_attempts(session, ref.workflow_id, ref.run_id or None)
            ]
        )
        manifest = self._versions.manifest(ref.workflow_name, ref.version)
        steps = step_progress(
            manifest, state.status, state.progress, attempts, state.pending_activities, state.error
        )
        definition = self._versions.code(ref.workflow_name, ref.version, "definition")
        return RunGraph(
            ref.workflow_id,
            ref.workflow_name,
            ref.version,
            state.status,
            definition,
            steps,
            state.error,
        )

    def signal(self, ref: ExecutionRef, signal: str, payload: Any = None) -> str | None:
        self._check_payload(ref, "signals", signal, payload)
        note = self._workers.ensure_serving(self._projects.current())
        engine = self._context.engine
        self._context.with_client(
            lambda client: signal_execution(engine, client, ref, signal, payload)
        )
        return note

    def signal_schema(self, ref: ExecutionRef, signal: str) -> dict[str, Any] | None:
        return self._message_schema(ref, "signals", signal)

    def update(self, ref: ExecutionRef, update: str, payload: Any = None) -> UpdateOutcome:
        """Send an update and wait for the answer; a payload that does not fit is refused unsent."""
        self._check_payload(ref, "updates", update, payload)
        note = self._workers.ensure_serving(self._projects.current())
        if note is not None:
            raise StateError(f"update {update!r} cannot be answered: {note}")
        engine = self._context.engine
        return self._context.with_client(
            lambda client: update_execution(engine, client, ref, update, payload)
        )

    def update_schema(self, ref: ExecutionRef, update: str) -> dict[str, Any] | None:
        return self._message_schema(ref, "updates", update)

    def _check_payload(self, ref: ExecutionRef, kind: str, name: str, payload: Any) -> None:
        """Refuse, unsent, a payload that does not fit what the run's version declares for the message."""
        schema = self._message_schema(ref, kind, name)
        if schema is None or not (schema.get("properties") or payload is not None):
            return
        problems = validate_input(schema, payload if payload is not None else {})
        if problems:
            raise InputError(
                f"{kind[:-1]} {name!r} was not sent to {ref.workflow_id}: "
                + "; ".join(problems)
                + f" (it takes: {describe_fields(schema)})"
            )

    def _message_schema(self, ref: ExecutionRef, kind: str, name: str) -> dict[str, Any] | None:
        """The payload schema of a signal or update the run's version declares (None for other names)."""
        declared = self._versions.manifest(ref.workflow_name, ref.version).get(kind, {})
        return dict(declared[name]) if name in declared else None

    def query(self, ref: ExecutionRef, query: str, *args: Any) -> Any:
        note = self._workers.ensure_serving(self._projects.current())
        if note is not None:
            raise StateError(f"query {query!r} cannot be answered: {note}")
        engine = self._context.engine
        return self._context.with_client(
            lambda client: query_execution(engine, client, ref, query, *args)
        )

    def cancel(self, ref: ExecutionRef) -> None:
        self._workers.ensure_serving(self._projects.current())  # the run itself carries it out
        self._context.with_client(lambda client: cancel_execution(client, ref))

    def terminate(self, ref: ExecutionRef, reason: str = "") -> None:
        engine = self._context.engine
        self._context.with_client(lambda client: terminate_execution(engine, client, ref, reason))

    def _record_status(self, ref: ExecutionRef) -> str | None:
        def read(session: Any) -> str | None:
            record = find_execution(session, ref.workflow_id, ref.run_id)
            return record.status if record is not None else None

        return self._context.read(read)
