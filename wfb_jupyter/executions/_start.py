"""Starting executions: validate the input, check a worker serves the project, start, record, watch."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy import Connection, Engine, and_, bindparam, select
from sqlalchemy.orm import Session
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from wfb_jupyter.compiler import validate_input
from wfb_jupyter.executions._errors import (
    ExecutionError,
    ExecutionNotFoundError,
    InvalidInputError,
    NoWorkerError,
    UnknownWorkflowError,
    VersionNotServedError,
)
from wfb_jupyter.executions._outcome import Outcome, await_outcome, record_outcome, watched_runs
from wfb_jupyter.executions._writes import write_start
from wfb_jupyter.storage import (
    CompiledCode,
    ExecutionStart,
    Project,
    User,
    WorkerStatus,
    Workflow,
    activation_generation,
    find_execution,
    get_project,
    list_compiled_versions,
    list_workflows,
    read_connection,
    read_scope,
    serving_worker,
    storage_sessions,
)
from wfb_jupyter.temporal import available_search_attributes, execution_search_attributes

logger = logging.getLogger(__name__)

_VERSION_PICKUP_WAIT = 15.0
# (workflow row id, version) -> has the workers of this process load that version
VersionLoader = Callable[[int, int], Awaitable[None]]


@dataclass(frozen=True)
class ExecutionRef:
    """Which run: enough to reach it in Temporal and in the database."""

    project_id: str
    workflow_name: str
    version: int
    workflow_id: str
    run_id: str


@dataclass(frozen=True)
class _PlannedVersion:
    """What the database says a start runs: which version, on which task queue, with which input schema."""

    workflow_db_id: int
    version: int
    workflow_type: str
    task_queue: str
    schema: dict[str, Any]
    project_name: str
    user_name: str
    is_active: bool = True


@dataclass(frozen=True)
class _StartPlan:
    planned: _PlannedVersion
    worker: WorkerStatus | None


async def start_execution(
    engine: Engine,
    client: Client,
    project_id: str,
    workflow_name: str,
    inputs: dict[str, Any] | None = None,
    *,
    version: int | None = None,
    workflow_id: str | None = None,
    stale_after: float = 120.0,
    watch: bool = True,
    load_version: VersionLoader | None = None,
) -> ExecutionRef:
    """Start a run of the workflow's active version (or ``version``) on the project's task queue.

    ``load_version(workflow id, version)`` asks the workers of this process to load a version no worker
    serves yet (given by the layer that knows workers); without it, a start waits for a worker to load it.
    """
    inputs = dict(inputs or {})
    plan = _remembered_plan(engine, project_id, workflow_name, version)
    if plan is None:
        plan = await asyncio.to_thread(
            _plan_start, engine, project_id, workflow_name, version, stale_after
        )
    planned = plan.planned
    problems = validate_input(planned.schema, inputs)
    if problems:
        raise InvalidInputError(workflow_name, problems)
    if plan.worker is None:
        raise NoWorkerError(project_id, planned.task_queue, planned.project_name)
    if planned.workflow_type not in plan.worker.loaded_versions:
        await _wait_for_serving_worker(engine, project_id, planned, stale_after, load_version)

    workflow_id = workflow_id or f"{workflow_name}-{uuid.uuid4().hex[:12]}"
    attributes = execution_search_attributes(
        await available_search_attributes(client),
        user=planned.user_name,
        project=planned.project_name,
        workflow=workflow_name,
        version=planned.version,
    )
    try:
        handle = await client.start_workflow(
            planned.workflow_type,
            inputs,
            id=workflow_id,
            task_queue=planned.task_queue,
            search_attributes=attributes,
            static_summary=f"{workflow_name} v{planned.version} · project {planned.project_name}",
        )
    except WorkflowAlreadyStartedError:
        raise ExecutionError(
            f"an execution with id {workflow_id!r} is already running; choose another id"
        ) from None
    run_id = handle.result_run_id or handle.run_id or ""
    await write_start(
        engine,
        ExecutionStart(planned.workflow_db_id, planned.version, workflow_id, run_id, input=inputs),
    )
    ref = ExecutionRef(project_id, workflow_name, planned.version, workflow_id, run_id)
    if watch:
        key = (ref.workflow_id, ref.run_id)
        task = asyncio.ensure_future(_watch(engine, client, ref))
        watched_runs[key] = task
        task.add_done_callback(lambda _: watched_runs.pop(key, None))
    return ref


def watcher_of(ref: ExecutionRef) -> asyncio.Task[Outcome | None] | None:
    """The task of this process recording ``ref``'s end, if one runs on the current loop."""
    task = watched_runs.get((ref.workflow_id, ref.run_id))
    if task is None or task.get_loop() is not asyncio.get_running_loop():
        return None
    return task


def find_execution_ref(session: Session, project_id: str, workflow_id: str) -> ExecutionRef:
    """The latest run with this workflow id in the project, from the database."""
    record = find_execution(session, workflow_id)
    workflow = session.get(Workflow, record.workflow_id) if record is not None else None
    if record is None or workflow is None or workflow.project_id != project_id:
        raise ExecutionNotFoundError(workflow_id, project_id)
    return ExecutionRef(
        project_id,
        workflow.name,
        record.version,
        record.temporal_workflow_id,
        record.temporal_run_id,
    )


def _plan_query(by_version: bool) -> Any:
    """What a start needs, in one query (not the stored code, which is large); built once, as building a
    query costs more than running it."""
    chosen = (
        CompiledCode.version == bindparam("version")
        if by_version
        else CompiledCode.is_active.is_(True)
    )
    return (
        select(
            Project.task_queue,
            Project.name.label("project_name"),
            User.name.label("user_name"),
            Workflow.id.label("workflow_db_id"),
            CompiledCode.version,
            CompiledCode.workflow_type,
            CompiledCode.manifest,
            CompiledCode.is_active,
        )
        .select_from(Project)
        .join(User, User.id == Project.user_id)
        .outerjoin(
            Workflow,
            and_(Workflow.project_id == Project.id, Workflow.name == bindparam("workflow_name")),
        )
        .outerjoin(CompiledCode, and_(CompiledCode.workflow_id == Workflow.id, chosen))
        .where(Project.id == bindparam("project_id"))
    )


_PLAN_ACTIVE, _PLAN_VERSION = _plan_query(False), _plan_query(True)


# A burst of starts (a loop in a cell, a batch from a widget) reads the database once a second, not once per
# start. An activation made by this process is seen at once (its commit moves ``activation_generation``); one
# made by another process is seen within the second, and workers keep the version it replaced loaded for a
# while, so a start that planned on it still runs.
_PLAN_CACHE_SECONDS = 1.0
_SERVING_CACHE_SECONDS = 1.0
_PlanKey = tuple[str, str, int | None]
_plans: weakref.WeakKeyDictionary[Engine, dict[_PlanKey, tuple[float, int, _PlannedVersion]]] = (
    weakref.WeakKeyDictionary()
)
_serving: weakref.WeakKeyDictionary[Engine, dict[str, tuple[float, WorkerStatus]]] = (
    weakref.WeakKeyDictionary()
)


def _remembered_plan(
    engine: Engine, project_id: str, workflow_name: str, version: int | None
) -> _StartPlan | None:
    """The plan from the last second's starts, when both its parts are fresh: no database, no thread."""
    now = time.monotonic()
    remembered = _plans.get(engine, {}).get((project_id, workflow_name, version))
    worker = _serving.get(engine, {}).get(project_id)
    if (
        remembered is None
        or worker is None
        or now - remembered[0] >= _PLAN_CACHE_SECONDS
        or remembered[1] != activation_generation()
        or now - worker[0] >= _SERVING_CACHE_SECONDS
    ):
        return None
    return _StartPlan(remembered[2], worker[1])


def _plan_start(
    engine: Engine, project_id: str, workflow_name: str, version: int | None, stale_after: float
) -> _StartPlan:
    # Read before the query: an activation committed while it runs leaves this plan already stale.
    generation = activation_generation()
    with read_connection(engine) as connection:
        row = connection.execute(
            _PLAN_ACTIVE if version is None else _PLAN_VERSION,
            {"project_id": project_id, "workflow_name": workflow_name, "version": version},
        ).first()
        if row is None or row.workflow_db_id is None or row.version is None:
            _explain_missing(engine, project_id, workflow_name, version, row)
        planned = _PlannedVersion(
            row.workflow_db_id,
            row.version,
            row.workflow_type,
            row.task_queue,
            dict(row.manifest.get("input_schema") or {}),
            row.project_name,
            row.user_name,
            bool(row.is_active),
        )
        worker = _cached_serving_worker(connection, engine, project_id, stale_after)
    plans = _plans.setdefault(engine, {})
    plans[(project_id, workflow_name, version)] = (time.monotonic(), generation, planned)
    return _StartPlan(planned, worker)


def _explain_missing(
    engine: Engine, project_id: str, workflow_name: str, version: int | None, row: Any
) -> NoReturn:
    """Raise the error naming what a start asked for and what exists instead."""
    with read_scope(engine) as session:
        if row is None:
            get_project(session, project_id)  # raises NotFoundError naming the project
            raise AssertionError("unreachable")
        if row.workflow_db_id is None:
            known = [w.name for w in list_workflows(session, project_id)]
            raise UnknownWorkflowError(project_id, workflow_name, known)
        stored = [v.version for v in list_compiled_versions(session, row.workflow_db_id)]
        raise UnknownWorkflowError(project_id, workflow_name, stored, version)


def _cached_serving_worker(
    connection: Connection, engine: Engine, project_id: str, stale_after: float
) -> WorkerStatus | None:
    """A serving worker seen within the last second is taken as still serving: a worker that stops is
    noticed a second later at most (its queued work waits for the next worker, as on any task queue)."""
    serving = _serving.setdefault(engine, {})
    now = time.monotonic()
    cached = serving.get(project_id)
    if cached is not None and now - cached[0] < _SERVING_CACHE_SECONDS:
        return cached[1]
    with storage_sessions(bind=connection) as session:
        worker = serving_worker(session, project_id, stale_after=stale_after)
    if worker is None:
        serving.pop(project_id, None)
    else:
        serving[project_id] = (now, worker)
    return worker


async def _wait_for_serving_worker(
    engine: Engine,
    project_id: str,
    planned: _PlannedVersion,
    stale_after: float,
    load_version: VersionLoader | None,
) -> None:
    """Refuse when no worker serves the project; have a worker of this process load the version first
    (``load_version``); give a serving one a moment to load a new version. A version that is not active, or cannot load, is refused
    rather than started for no worker to run."""
    if load_version is not None:
        await load_version(planned.workflow_db_id, planned.version)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _VERSION_PICKUP_WAIT
    while True:
        worker = await asyncio.to_thread(_serving_worker, engine, project_id, stale_after)
        if worker is None:
            raise NoWorkerError(project_id, planned.task_queue, planned.project_name)
        if planned.workflow_type in worker.loaded_versions:
            return
        if planned.workflow_type in worker.failed_versions:
            raise VersionNotServedError(
                planned.workflow_type, worker.failed_versions[planned.workflow_type]
            )
        if loop.time() > deadline:
            if planned.is_active:
                return  # every worker loads the active versions: the start waits in the queue for it
            raise VersionNotServedError(
                planned.workflow_type,
                f"it is not the active version and the {worker.mode} worker (pid {worker.pid}) has "
                "not loaded it; activate it first, or start it from the worker's own process",
            )
        await asyncio.sleep(0.2)


def _serving_worker(engine: Engine, project_id: str, stale_after: float) -> WorkerStatus | None:
    with read_scope(engine) as session:
        return serving_worker(session, project_id, stale_after=stale_after)


async def _watch(engine: Engine, client: Client, ref: ExecutionRef) -> Outcome | None:
    """Record the run's end as soon as it happens (workers reconcile it too, should this process go)."""
    try:
        handle = client.get_workflow_handle(ref.workflow_id, run_id=ref.run_id)
        outcome = await await_outcome(client, handle)
        await record_outcome(engine, ref.workflow_id, ref.run_id, outcome)
    except asyncio.CancelledError:
        raise
    except Exception:  # noqa: BLE001 - the worker's reconciliation will close the record instead
        logger.debug("watching %s failed; left to reconciliation", ref.workflow_id, exc_info=True)
        return None
    return outcome
