"""The project worker's round for schedules: scheduled runs recorded once however many workers see them, and a
version activated anywhere (here, straight in the database) reaching the schedules that follow it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from wfb_jupyter.executions import (
    ScheduledStart,
    ScheduleTiming,
    delete_schedule_in_temporal,
    put_schedule,
    read_schedule,
    reconcile_project_runs,
    record_scheduled_runs,
    schedule_id_for,
)
from wfb_jupyter.storage import (
    ScheduleSettings,
    activate_version,
    get_project,
    get_workflow_by_name,
    list_activity_attempts,
    list_executions,
    save_schedule,
    session_scope,
)
from wfb_jupyter.workers import ProjectWorkerManager

TICK = """
name: tick
input:
  n: integer
steps:
  - id: only
    call: echo
    with: {value: "${input.n}"}
output: ${steps.only.result}
"""


async def wait_until(predicate: Callable[[], Any], timeout: float = 60.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await asyncio.to_thread(predicate)
        if value:
            return value
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.2)


@pytest.fixture
async def scheduled(engine, project_id, build, temporal) -> Any:
    """``tick`` v1 and v2 stored (v1 active) and scheduled every second, following the active version."""
    build(TICK)
    build(TICK.replace("${input.n}", "${input.n + 1}"), activate=False)
    with session_scope(engine) as session:
        project = get_project(session, project_id)
        user = project.user.name
        workflow_id = get_workflow_by_name(session, project_id, "tick").id
        task_queue, name = project.task_queue, project.name
    schedule_id = schedule_id_for(task_queue, "tick")
    client = await temporal.get_client()
    start = ScheduledStart(schedule_id, "tick", 1, "tick.v1", task_queue, {"n": 1}, user, name)
    await put_schedule(client, start, ScheduleTiming.checked(every="1s"))
    with session_scope(engine) as session:
        save_schedule(
            session,
            ScheduleSettings(project_id, workflow_id, schedule_id, 1, every="1s", inputs={"n": 1}),
        )
    yield client, schedule_id, workflow_id
    await delete_schedule_in_temporal(client, schedule_id)


@pytest.fixture
async def recording(engine, temporal) -> Any:
    """A worker manager whose workers keep the records of scheduled runs (as the product's do)."""
    manager = ProjectWorkerManager(
        engine,
        connection=temporal,
        version_check_interval=0.3,
        reconcile_interval=0.3,
        reconciler=reconcile_project_runs,
    )
    yield manager
    await manager.stop_all()


async def test_runs_are_recorded_once_however_many_rounds_see_them(
    engine, project_id, scheduled, recording
) -> None:
    client, schedule_id, _ = scheduled
    await recording.start_worker_for_project(project_id)

    def scheduled_runs() -> list[Any]:
        with session_scope(engine) as session:
            rows = list_executions(session, project_id=project_id, limit=None)
            done = [r for r in rows if r.schedule_id == schedule_id and r.status == "completed"]
            return done if len(done) >= 3 else []

    await wait_until(scheduled_runs)
    # More rounds at once (as the workers of a kernel and a sidecar would run them): still one row a run.
    await asyncio.gather(*(record_scheduled_runs(engine, client, project_id) for _ in range(3)))
    with session_scope(engine) as session:
        rows = [
            r
            for r in list_executions(session, project_id=project_id, limit=None)
            if r.schedule_id == schedule_id
        ]
        keys = [(r.temporal_workflow_id, r.temporal_run_id) for r in rows]
        assert len(keys) == len(set(keys))
        done = [r for r in rows if r.status == "completed"]
        assert all(r.input == {"n": 1} and r.result == 1 and r.version == 1 for r in done)
        assert all(len(list_activity_attempts(session, r.temporal_workflow_id)) == 1 for r in done)
        project_name = get_project(session, project_id).name
    # The runs carry the product's search attributes, so the Web UI lists them with the project's.
    listed = [
        run.id
        async for run in client.list_workflows(
            f'WfbProject = "{project_name}" AND WfbWorkflow = "tick" AND WfbVersion = 1 '
            f'AND TemporalScheduledById = "{schedule_id}"'
        )
    ]
    assert {r.temporal_workflow_id for r in done} <= set(listed)
    # Durations are Temporal's (start to close), not how long the worker took to notice the end.
    for row in done:
        described = await client.get_workflow_handle(
            row.temporal_workflow_id, run_id=row.temporal_run_id
        ).describe()
        span = (described.close_time - described.start_time).total_seconds() * 1000
        assert abs(row.duration_ms - span) <= 1


async def test_an_activation_made_anywhere_reaches_the_schedules_that_follow_it(
    engine, project_id, scheduled, recording
) -> None:
    client, schedule_id, workflow_id = scheduled
    await recording.start_worker_for_project(project_id)
    with session_scope(
        engine
    ) as session:  # not through the Workspace: no one moves the schedule but the worker
        activate_version(session, workflow_id, 2)

    async def moved() -> None:
        while (await read_schedule(client, schedule_id)).workflow_type != "tick.v2":
            await asyncio.sleep(0.2)

    await asyncio.wait_for(moved(), 60)

    def a_v2_run() -> bool:
        with session_scope(engine) as session:
            rows = list_executions(session, project_id=project_id, version=2, limit=None)
            return any(r.schedule_id == schedule_id and r.result == 2 for r in rows)

    await wait_until(a_v2_run)
