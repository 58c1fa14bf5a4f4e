"""Workflow schedules on Temporal's Schedules API: put (create or replace), read, pause, resume, trigger,
backfill, delete, and move the schedules that follow the active version onto it.

Each workflow has at most one schedule, whose id is derived from the project's task queue and the workflow's
name (``wfb-alice-etl.orders``: task queues are slugs and workflow names have no dots, so no two projects'
schedules share an id). Its runs start with the search attributes of any other start, so the Web UI finds them
by project and workflow; Temporal names each run ``<schedule id>-<fire time>``.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleBackfill,
    ScheduleDescription,
    SchedulePolicy,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from wfb_jupyter.compiler import validate_input
from wfb_jupyter.errors import InputError, StateError
from wfb_jupyter.executions._schedule_timing import OVERLAP_POLICIES, ScheduleTiming
from wfb_jupyter.storage import (
    CompiledCode,
    Project,
    ScheduleRecord,
    User,
    Workflow,
    read_scope,
    run_write,
    update_schedule,
)
from wfb_jupyter.temporal import available_search_attributes, execution_search_attributes


def schedule_id_for(task_queue: str, workflow: str) -> str:
    return f"wfb-{task_queue}.{workflow}"


class ScheduleMissingError(StateError):
    """The database lists a schedule the Temporal server does not have (deleted elsewhere, another server)."""

    def __init__(self, schedule_id: str) -> None:
        self.schedule_id = schedule_id
        super().__init__(
            f"schedule {schedule_id!r} is not on the Temporal server (deleted elsewhere, or made on "
            "another server); create it again"
        )


@dataclass(frozen=True)
class ScheduledStart:
    """What each run of a schedule starts: a version of a workflow, on the project's task queue."""

    schedule_id: str
    workflow: str
    version: int
    workflow_type: str
    task_queue: str
    inputs: Mapping[str, Any]
    user: str
    project: str


@dataclass(frozen=True)
class ScheduleRun:
    workflow_id: str
    run_id: str
    started_at: datetime | None


@dataclass(frozen=True)
class ScheduleNow:
    """What Temporal says of a schedule now."""

    paused: bool
    note: str | None
    next_fire_times: tuple[datetime, ...]
    recent_runs: tuple[ScheduleRun, ...]
    running: tuple[ScheduleRun, ...]
    action_count: int
    workflow_type: str


async def put_schedule(
    client: Client,
    start: ScheduledStart,
    timing: ScheduleTiming,
    *,
    overlap: str = "skip",
    catchup_window: timedelta | None = None,
) -> bool:
    """Create the schedule, or replace the one with its id (unpaused); True when it replaced one."""
    schedule = Schedule(
        action=await _action(client, start),
        spec=timing.spec(),
        policy=SchedulePolicy(overlap=OVERLAP_POLICIES[overlap], catchup_window=catchup_window),
        state=ScheduleState(note=f"wfb: {start.workflow} in project {start.project}"),
    )
    try:
        try:
            await client.create_schedule(start.schedule_id, schedule)
            return False
        except ScheduleAlreadyRunningError:
            await client.get_schedule_handle(start.schedule_id).update(
                lambda _: ScheduleUpdate(schedule=schedule)
            )
            return True
    except RPCError as error:
        if error.status == RPCStatusCode.INVALID_ARGUMENT:
            # What the checks before did not catch (a cron that names a day no month has, say).
            raise InputError(f"the Temporal server refused the schedule: {error.message}") from None
        raise


async def _action(client: Client, start: ScheduledStart) -> ScheduleActionStartWorkflow:
    attributes = execution_search_attributes(
        await available_search_attributes(client),
        user=start.user,
        project=start.project,
        workflow=start.workflow,
        version=start.version,
    )
    return ScheduleActionStartWorkflow(
        start.workflow_type,
        dict(start.inputs),
        id=start.schedule_id,
        task_queue=start.task_queue,
        typed_search_attributes=attributes,
        static_summary=f"{start.workflow} v{start.version} · project {start.project} · scheduled",
    )


async def read_schedule(client: Client, schedule_id: str) -> ScheduleNow | None:
    """The schedule as Temporal has it, or None when Temporal does not have it."""
    try:
        description = await client.get_schedule_handle(schedule_id).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    return _now(description)


def _now(description: ScheduleDescription) -> ScheduleNow:
    info = description.info

    def run(action: Any, started_at: datetime | None) -> ScheduleRun | None:
        if not isinstance(action, ScheduleActionExecutionStartWorkflow):
            return None
        return ScheduleRun(action.workflow_id, action.first_execution_run_id, started_at)

    recent = [run(result.action, result.started_at) for result in info.recent_actions]
    running = [run(action, None) for action in info.running_actions]
    action = description.schedule.action
    return ScheduleNow(
        paused=description.schedule.state.paused,
        note=description.schedule.state.note,
        next_fire_times=tuple(info.next_action_times),
        recent_runs=tuple(r for r in recent if r is not None),
        running=tuple(r for r in running if r is not None),
        action_count=info.num_actions,
        workflow_type=action.workflow if isinstance(action, ScheduleActionStartWorkflow) else "",
    )


async def pause_schedule(client: Client, schedule_id: str, note: str | None = None) -> None:
    await _on_handle(schedule_id, client.get_schedule_handle(schedule_id).pause(note=note))


async def resume_schedule(client: Client, schedule_id: str) -> None:
    await _on_handle(schedule_id, client.get_schedule_handle(schedule_id).unpause())


async def trigger_schedule(client: Client, schedule_id: str) -> None:
    """Start a run now, as if it were a fire time (the overlap policy applies)."""
    await _on_handle(schedule_id, client.get_schedule_handle(schedule_id).trigger())


async def backfill_schedule(
    client: Client, schedule_id: str, start: datetime, end: datetime, overlap: str | None = None
) -> None:
    """Take the actions the schedule would have taken between ``start`` and ``end``, now."""
    policy = OVERLAP_POLICIES[overlap] if overlap is not None else None
    handle = client.get_schedule_handle(schedule_id)
    await _on_handle(schedule_id, handle.backfill(ScheduleBackfill(start, end, overlap=policy)))


async def delete_schedule_in_temporal(client: Client, schedule_id: str) -> bool:
    """Delete it from Temporal; False when Temporal did not have it. Runs already started go on."""
    try:
        await client.get_schedule_handle(schedule_id).delete()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def _on_handle(schedule_id: str, call: Any) -> None:
    try:
        await call
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise ScheduleMissingError(schedule_id) from None
        if error.status == RPCStatusCode.INVALID_ARGUMENT:
            raise InputError(f"the Temporal server refused: {error.message}") from None
        raise


# -- following the active version ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Follower:
    schedule_id: str
    version: int
    inputs: dict[str, Any]
    problem: str | None
    start: ScheduledStart  # what it should start now: the active version
    schema: dict[str, Any]


def _followers(engine: Engine, project_id: str) -> list[_Follower]:
    """The project's schedules that follow the active version, with what they should start."""
    with read_scope(engine) as session:
        rows = session.execute(
            select(
                ScheduleRecord,
                Workflow.name,
                CompiledCode.version,
                CompiledCode.workflow_type,
                CompiledCode.manifest,
                Project.task_queue,
                Project.name.label("project_name"),
                User.name.label("user_name"),
            )
            .join(Workflow, Workflow.id == ScheduleRecord.workflow_id)
            .join(
                CompiledCode,
                (CompiledCode.workflow_id == Workflow.id) & CompiledCode.is_active.is_(True),
            )
            .join(Project, Project.id == ScheduleRecord.project_id)
            .join(User, User.id == Project.user_id)
            .where(ScheduleRecord.project_id == project_id, ScheduleRecord.pinned_version.is_(None))
            .order_by(ScheduleRecord.id)
        ).all()
        # Read while the session is open: a read scope's objects expire when it ends.
        followers = []
        for row in rows:
            record: ScheduleRecord = row[0]
            start = ScheduledStart(
                record.schedule_id,
                row.name,
                row.version,
                row.workflow_type,
                row.task_queue,
                dict(record.inputs),
                row.user_name,
                row.project_name,
            )
            schema = dict(row.manifest.get("input_schema") or {})
            followers.append(
                _Follower(
                    record.schedule_id,
                    record.version,
                    dict(record.inputs),
                    record.problem,
                    start,
                    schema,
                )
            )
    return followers


async def follow_active_versions(engine: Engine, client: Client, project_id: str) -> list[str]:
    """Move the project's schedules that follow the active version onto it; returns a line per change.

    Run after an activation (or rollback) in the process that made it, and by every project worker, so that
    an activation made anywhere reaches the schedules. A schedule whose inputs do not fit the new version
    keeps its version and says why (``problem``) until it is replaced with inputs that fit.
    """
    changes = []
    for follower in await asyncio.to_thread(_followers, engine, project_id):
        start = follower.start
        if start.version == follower.version:
            continue
        problems = validate_input(follower.schema, follower.inputs)
        if problems:
            problem = (
                f"its inputs do not fit v{start.version} ({'; '.join(problems)}); it still runs "
                f"v{follower.version}: create it again with inputs that fit"
            )
            if problem != follower.problem:
                await _store(engine, follower.schedule_id, problem=problem)
                changes.append(f"The schedule of {start.workflow!r}: {problem}.")
            continue
        try:
            await _update_action(client, start)
        except ScheduleMissingError as missing:
            if str(missing) != follower.problem:
                await _store(engine, follower.schedule_id, problem=str(missing))
            continue
        await _store(engine, follower.schedule_id, version=start.version, problem=None)
        changes.append(
            f"The schedule of {start.workflow!r} now runs v{start.version} (was v{follower.version})."
        )
    return changes


async def _update_action(client: Client, start: ScheduledStart) -> None:
    action = await _action(client, start)

    def updated(current: ScheduleUpdateInput) -> ScheduleUpdate:
        # Only what it starts changes: when it fires, its policies and its paused state stay.
        return ScheduleUpdate(dataclasses.replace(current.description.schedule, action=action))

    await _on_handle(
        start.schedule_id, client.get_schedule_handle(start.schedule_id).update(updated)
    )


async def _store(engine: Engine, schedule_id: str, **changes: Any) -> None:
    await asyncio.to_thread(
        run_write, engine, lambda session: update_schedule(session, schedule_id, **changes)
    )
