"""Versions activated under running executions, retries recorded per attempt, records closed by workers."""

from __future__ import annotations

import asyncio

from temporalio import activity

from wfb_jupyter.components import component, register_component
from wfb_jupyter.executions import (
    describe_execution,
    signal_execution,
    start_execution,
    wait_for_result,
)
from wfb_jupyter.storage import (
    activate_version,
    get_activity_statistics,
    get_workflow_by_name,
    list_activity_attempts,
    list_executions,
    session_scope,
)
from wfb_jupyter.workers import ProjectWorkerManager

APPROVAL = """
name: approval
signals:
  go:
    payload: {note: string}
    set: {note: "${signal.note}"}
steps:
  - id: wait
    wait_signal: go
    timeout: 1h
  - id: done
    call: echo
    with: {value: "%s ${vars.note}"}
output: ${steps.done.result}
"""


async def wait_until(predicate, timeout: float = 20.0, interval: float = 0.1) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(interval)


async def test_new_version_picked_up_while_old_runs_finish_on_old(
    engine, project_id, build, manager, temporal
) -> None:
    build(APPROVAL % "v1")
    await manager.start_worker_for_project(project_id)
    client = await temporal.get_client()
    old_runs = [await start_execution(engine, client, project_id, "approval") for _ in range(20)]
    assert {ref.version for ref in old_runs} == {1}

    assert build(APPROVAL % "v2") == 2  # activated: the worker loads it by itself, keeps v1
    await wait_until(
        lambda: manager.status(project_id).loaded_versions == ["approval.v1", "approval.v2"]
    )
    new_run = await start_execution(engine, client, project_id, "approval")
    assert new_run.version == 2

    for ref in [*old_runs, new_run]:
        await signal_execution(engine, client, ref, "go", {"note": ref.workflow_id[-4:]})
    results = [await wait_for_result(engine, client, ref, timeout=30) for ref in old_runs]
    assert results == [f"v1 {ref.workflow_id[-4:]}" for ref in old_runs]
    assert await wait_for_result(engine, client, new_run, timeout=30) == (
        f"v2 {new_run.workflow_id[-4:]}"
    )


async def test_rollback_makes_the_old_version_run_again(
    engine, project_id, build, manager, temporal
) -> None:
    build(APPROVAL % "first")
    build(APPROVAL % "second")
    await manager.start_worker_for_project(project_id)
    with session_scope(engine) as session:
        workflow = get_workflow_by_name(session, project_id, "approval")
        activate_version(session, workflow.id, 1)
    # v2 stays loaded for a while after it stopped being active (see the retention tests below).
    await wait_until(
        lambda: manager.status(project_id).loaded_versions == ["approval.v1", "approval.v2"]
    )
    client = await temporal.get_client()
    ref = await start_execution(engine, client, project_id, "approval")
    assert ref.version == 1
    await signal_execution(engine, client, ref, "go", {"note": "back"})
    assert await wait_for_result(engine, client, ref, timeout=30) == "first back"


async def test_a_start_planned_on_the_replaced_version_still_runs(
    engine, project_id, build, manager, temporal
) -> None:
    """Another process planned a start on v1 just before v2 was activated, and starts it after this worker
    reloaded: v1 is still loaded, so the run does not wait for a worker that can run it."""
    build(APPROVAL % "v1")
    await manager.start_worker_for_project(project_id)
    build(APPROVAL % "v2")
    await wait_until(
        lambda: manager.status(project_id).loaded_versions == ["approval.v1", "approval.v2"]
    )
    client = await temporal.get_client()
    handle = await client.start_workflow(
        "approval.v1",
        {},
        id="planned-before-activation",
        task_queue=_task_queue(manager, project_id),
    )
    await handle.signal("go", {"note": "late"})
    assert await asyncio.wait_for(handle.result(), 30) == "v1 late"


async def test_a_replaced_version_is_dropped_once_its_retention_is_over(
    engine, project_id, build, temporal
) -> None:
    build(APPROVAL % "v1")
    manager = ProjectWorkerManager(
        engine, connection=temporal, version_check_interval=0.3, retain_versions_for=0.5
    )
    try:
        await manager.start_worker_for_project(project_id)
        build(APPROVAL % "v2")
        await wait_until(
            lambda: manager.status(project_id).loaded_versions == ["approval.v1", "approval.v2"]
        )
        await asyncio.sleep(0.6)
        build(APPROVAL % "v3")  # the next reload leaves v1 out: not active, not running, not recent
        await wait_until(
            lambda: manager.status(project_id).loaded_versions == ["approval.v2", "approval.v3"]
        )
    finally:
        await manager.stop_all()


def _task_queue(manager: ProjectWorkerManager, project_id: str) -> str:
    return manager.status(project_id).task_queue


def flaky_step(fail_times: int = 2) -> int:
    attempt = activity.info().attempt
    if attempt <= fail_times:
        raise RuntimeError(f"attempt {attempt} fails on purpose")
    return attempt


RETRYING = """
name: retrying
steps:
  - id: flaky
    call: flaky_step
    with: {fail_times: 2}
    retry: {initial_interval: 50ms, backoff: 1, max_attempts: 5}
output: ${steps.flaky.result}
"""


async def test_each_attempt_is_recorded_and_aggregated(
    engine, project_id, build, manager, temporal
) -> None:
    with session_scope(engine) as session:
        register_component(session, project_id, component(flaky_step))
    build(RETRYING)
    await manager.start_worker_for_project(project_id)
    client = await temporal.get_client()
    ref = await start_execution(engine, client, project_id, "retrying")
    assert await wait_for_result(engine, client, ref, timeout=30) == 3
    await manager.worker(project_id).recorder.flush()
    with session_scope(engine) as session:
        attempts = list_activity_attempts(session, ref.workflow_id)
        statistics = get_activity_statistics(session, project_id, component="flaky_step")
    assert [(a.attempt, a.status, a.error_type) for a in attempts] == [
        (1, "failed", "RuntimeError"),
        (2, "failed", "RuntimeError"),
        (3, "completed", None),
    ]
    assert all(a.step_id == "flaky" and a.duration_ms is not None for a in attempts)
    assert "attempt 1 fails on purpose" in attempts[0].error
    row = statistics[0] if isinstance(statistics, list) else statistics
    assert (row.attempt_count, row.success_count, row.failure_count, row.retry_count) == (
        3,
        1,
        2,
        2,
    )


async def test_worker_closes_records_whose_starter_is_gone(
    engine, project_id, build, manager, temporal
) -> None:
    build(APPROVAL % "orphan")
    await manager.start_worker_for_project(project_id)
    client = await temporal.get_client()
    # watch=False: as if the kernel that started it died right after starting it.
    ref = await start_execution(engine, client, project_id, "approval", watch=False)
    await client.get_workflow_handle(ref.workflow_id).signal("go", {"note": "late"})

    def closed() -> bool:
        with session_scope(engine) as session:
            (record,) = list_executions(session, project_id=project_id)
            return record.status == "completed"

    await wait_until(closed, timeout=30)
    with session_scope(engine) as session:
        (record,) = list_executions(session, project_id=project_id)
    assert record.result == "orphan late"
    assert record.duration_ms is not None and record.duration_ms >= 0


async def test_describe_shows_progress_mid_run(
    engine, project_id, build, manager, temporal
) -> None:
    build(APPROVAL % "x")
    await manager.start_worker_for_project(project_id)
    client = await temporal.get_client()
    ref = await start_execution(engine, client, project_id, "approval")
    state = await describe_execution(engine, client, ref)
    assert state.status == "running"
    assert state.progress is not None
    assert state.progress["current_step"] == "wait"
    assert "done" in state.progress["pending_steps"]
    await signal_execution(engine, client, ref, "go", {"note": "y"})
    await wait_for_result(engine, client, ref, timeout=30)
    final = await describe_execution(engine, client, ref)
    assert (final.status, final.result) == ("completed", "x y")
