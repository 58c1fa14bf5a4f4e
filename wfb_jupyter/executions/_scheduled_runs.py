"""Scheduled runs get their execution rows from the project's workers, since no starter is there to write one.

Temporal starts a schedule's runs by itself, with no notebook open. Every project worker, on each round of
its reconciliation, lists the runs on its task queue that a schedule started (Temporal marks them with the
``TemporalScheduledById`` search attribute) and records those without a row, idempotently: two workers of
one project (a kernel and a sidecar) may both see a run, and it gets one row. Their attempts are recorded
like any other's, and the round that closes finished rows closes theirs.

A round asks for the open scheduled runs and those started since the previous round (less a margin, for
the visibility store's delay); a worker's first round looks back an hour, for runs that ended while no
worker was recording them.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, select
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.service import RPCError

from wfb_jupyter.executions._outcome import close_finished_executions
from wfb_jupyter.executions._schedules import follow_active_versions
from wfb_jupyter.executions._writes import EXECUTION_STARTS
from wfb_jupyter.storage import (
    ExecutionStart,
    Project,
    ScheduleRecord,
    Workflow,
    group_commit,
    has_schedules,
    read_scope,
    recorded_runs,
    utc_now,
)

logger = logging.getLogger(__name__)

_SCHEDULED_BY = SearchAttributeKey.for_keyword("TemporalScheduledById")
_FIRST_LOOK_BACK = timedelta(hours=1)
_MARGIN = timedelta(minutes=1)

# engine -> project id -> when the last round that listed its scheduled runs began
_listed_at: weakref.WeakKeyDictionary[Engine, dict[str, datetime]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class _Project:
    task_queue: str
    workflows: dict[str, int]  # name -> row id
    inputs: dict[str, dict[str, object]]  # schedule id -> the inputs its runs start with


def _project(engine: Engine, project_id: str) -> _Project | None:
    """What recording needs of the project, or None when it has no schedule (nothing to list)."""
    with read_scope(engine) as session:
        if not has_schedules(session, project_id):
            return None
        task_queue = session.scalar(select(Project.task_queue).where(Project.id == project_id))
        workflows = {
            name: row_id
            for name, row_id in session.execute(
                select(Workflow.name, Workflow.id).where(Workflow.project_id == project_id)
            )
        }
        inputs = {
            schedule_id: dict(values)
            for schedule_id, values in session.execute(
                select(ScheduleRecord.schedule_id, ScheduleRecord.inputs).where(
                    ScheduleRecord.project_id == project_id
                )
            )
        }
    return _Project(task_queue or "", workflows, inputs)


async def record_scheduled_runs(engine: Engine, client: Client, project_id: str) -> int:
    """Give every scheduled run of the project an execution row; returns how many it found without one
    (another worker may have recorded some of them meanwhile: each run still gets one row)."""
    project = await asyncio.to_thread(_project, engine, project_id)
    if project is None:
        return 0
    began = utc_now()
    listed = _listed_at.setdefault(engine, {})
    since = listed.get(project_id, began - _FIRST_LOOK_BACK + _MARGIN) - _MARGIN
    query = (
        f'TaskQueue = "{project.task_queue}" AND TemporalScheduledById IS NOT NULL AND '
        f'(ExecutionStatus = "Running" OR StartTime > "{_iso(since)}")'
    )
    runs = [execution async for execution in client.list_workflows(query)]
    pairs = [(run.id, run.run_id) for run in runs]
    known = await asyncio.to_thread(_recorded, engine, pairs)
    starts = []
    for run in runs:
        if (run.id, run.run_id) in known:
            continue
        name, _, number = run.workflow_type.rpartition(".v")
        workflow_id = project.workflows.get(name)
        if workflow_id is None or not number.isdigit():
            continue  # not one of the project's workflows (a schedule made by hand for another type)
        schedule_id = run.typed_search_attributes.get(_SCHEDULED_BY)
        starts.append(
            ExecutionStart(
                workflow_id,
                int(number),
                run.id,
                run.run_id,
                # The inputs the schedule starts runs with (Temporal's listing does not carry them).
                input=project.inputs.get(schedule_id or ""),
                started_at=run.start_time,
                schedule_id=schedule_id,
            )
        )
    if starts:
        await group_commit(engine).write(EXECUTION_STARTS, starts)
    listed[project_id] = began
    return len(starts)


def _recorded(engine: Engine, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    with read_scope(engine) as session:
        return recorded_runs(session, pairs)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def reconcile_project_runs(engine: Engine, client: Client, project_id: str) -> int:
    """A project worker's round of record keeping: record the runs schedules started, move schedules that
    follow the active version onto it, and close the rows of runs that ended (returns how many)."""
    for keep in (record_scheduled_runs, follow_active_versions):
        try:
            await keep(engine, client, project_id)
        except RPCError as error:  # a server that cannot answer now: the next round tries again
            logger.info("%s for project %s: %s", keep.__name__, project_id, error)
        except Exception:  # noqa: BLE001 - logged; closing the rows of ended runs must still happen
            logger.warning("%s for project %s failed", keep.__name__, project_id, exc_info=True)
    return await close_finished_executions(engine, client, project_id)
