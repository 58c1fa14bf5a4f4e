"""Crashes, stale workers, several projects in one process, and projects that never see each other's work."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from wfb_jupyter.executions import NoWorkerError, start_execution, wait_for_result
from wfb_jupyter.storage import (
    CompiledCode,
    get_or_create_project,
    get_or_create_user,
    get_project,
    list_activity_attempts,
    list_projects,
    list_workers,
    register_worker,
    serving_worker,
    session_scope,
    worker_statuses,
)
from wfb_jupyter.storage._types import utc_now

ECHO = """
name: %s
input:
  n: {type: integer, default: 0}
steps:
  - id: one
    call: echo
    with: {value: "${input.n}"}
output: ${steps.one.result}
"""


def corrupt(engine, workflow_type: str, code: str) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(CompiledCode)
            .where(CompiledCode.workflow_type == workflow_type)
            .values(workflow_code=code)
        )


async def test_code_that_cannot_load_is_reported_and_the_worker_still_starts(
    engine, project_id, build, manager
) -> None:
    build(ECHO % "breaks")
    corrupt(engine, "breaks.v1", "raise RuntimeError('stored code is damaged')\n")
    status = await manager.start_worker_for_project(project_id)
    assert status.status == "running" and status.loaded_versions == []
    assert (
        "cannot load breaks v1: RuntimeError: stored code is damaged"
        in status.failed_versions["breaks.v1"]
    )
    with session_scope(engine) as session:
        (row,) = list_workers(session, project_id)
    assert row.status == "running"
    assert "stored code is damaged" in row.error


async def test_bad_new_version_keeps_the_old_one_serving(
    engine, project_id, build, manager, temporal
) -> None:
    build(ECHO % "steady")
    await manager.start_worker_for_project(project_id)
    build((ECHO % "steady").replace("default: 0", "default: 1"))
    corrupt(engine, "steady.v2", "import no_such_module_anywhere\n")
    await manager.refresh_project(project_id)
    status = manager.status(project_id)
    assert status.status == "running"
    assert status.loaded_versions == ["steady.v1"]  # replaced a moment ago: still kept loaded
    assert "cannot load steady v2" in status.error
    assert "no_such_module_anywhere" in status.failed_versions["steady.v2"]


async def test_silent_workers_are_marked_stale(engine, project_id, build, manager) -> None:
    build(ECHO % "beats")
    with session_scope(engine) as session:
        ghost = register_worker(session, project_id, "sidecar", pid=999999, status="running")
        ghost.last_heartbeat_at = utc_now() - timedelta(minutes=5)
        ghost_id = ghost.id
    with session_scope(engine) as session:
        assert [w.status for w in worker_statuses(session, project_id, include_ended=True)] == [
            "stale"
        ]
    await manager.start_worker_for_project(project_id)
    await asyncio.sleep(1.5)  # a few heartbeats (0.5 s in these tests)
    with session_scope(engine) as session:
        rows = {row.id: row for row in list_workers(session, project_id)}
        serving = serving_worker(session, project_id)
    assert rows[ghost_id].status == "stale"
    assert "no heartbeat for more than 120 s" in rows[ghost_id].error
    assert serving is not None and serving.worker_id != ghost_id


async def test_projects_run_side_by_side_and_apart(engine, build, manager, temporal) -> None:
    with session_scope(engine) as session:
        alice = get_or_create_user(session, "alice")
        bob = get_or_create_user(session, "bob")
        a = get_or_create_project(session, alice.id, "etl").id
        b = get_or_create_project(session, alice.id, "reports").id
        c = get_or_create_project(session, bob.id, "etl").id
        queues = {p: get_project(session, p).task_queue for p in (a, b, c)}
    assert len(set(queues.values())) == 3
    for project in (a, b, c):
        build(ECHO % "shared-name", project=project)

    await asyncio.gather(manager.start_worker_for_project(a), manager.start_worker_for_project(b))
    client = await temporal.get_client()
    run_a, run_b = await asyncio.gather(
        start_execution(engine, client, a, "shared-name", {"n": 1}),
        start_execution(engine, client, b, "shared-name", {"n": 2}),
    )
    assert await wait_for_result(engine, client, run_a, timeout=30) == 1
    assert await wait_for_result(engine, client, run_b, timeout=30) == 2
    with pytest.raises(
        NoWorkerError, match=f"no worker serves project 'etl' .task queue '{queues[c]}'"
    ):
        await start_execution(engine, client, c, "shared-name")

    # Started behind the manager's back on C's queue: A's and B's workers never pick it up.
    stray = await client.start_workflow(
        "shared-name.v1", {"n": 3}, id=f"stray-{c}", task_queue=queues[c]
    )
    await asyncio.sleep(2)
    history = [event async for event in stray.fetch_history_events()]
    assert not any(event.HasField("workflow_task_completed_event_attributes") for event in history)
    await stray.terminate()

    await manager.worker(a).recorder.flush()
    await manager.worker(b).recorder.flush()
    with session_scope(engine) as session:
        assert {x.project_id for x in list_activity_attempts(session, run_a.workflow_id)} == {a}
        assert {x.project_id for x in list_activity_attempts(session, run_b.workflow_id)} == {b}
        assert [p.id for p in list_projects(session, bob.id)] == [c]
