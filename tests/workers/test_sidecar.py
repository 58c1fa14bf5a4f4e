"""Sidecar workers as separate processes: `kill -9` with executions in flight, and a kernel writing alongside."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from wfb_jupyter.executions import signal_execution, start_execution
from wfb_jupyter.storage import (
    get_or_create_project,
    get_project,
    list_activity_attempts,
    list_executions,
    list_workers,
    session_scope,
)
from wfb_jupyter.workers import WorkerStartError, start_sidecar_worker

RESILIENT = """
name: resilient
signals:
  go:
    payload: {n: integer}
    set: {n: "${signal.n}"}
steps:
  - id: before
    call: echo
    with: {value: 1}
    timeouts: {start_to_close: 2s}
  - id: wait
    wait_signal: go
    timeout: 1h
  - id: nap
    call: sleep
    with: {seconds: 0.5, heartbeat_interval: 0.2}
    timeouts: {start_to_close: 20s, heartbeat: 1s}
    retry: {initial_interval: 100ms, backoff: 1, max_attempts: 10}
  - id: after
    call: echo
    with: {value: "${vars.n}"}
    # An attempt lost with a killed worker is retried only when its timeout passes, as on a real server.
    timeouts: {start_to_close: 2s}
    retry: {initial_interval: 100ms}
output: ${steps.after.result}
"""


def database_url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def start_sidecar(engine, project_id: str, temporal_address: str, tmp_path) -> int:
    return start_sidecar_worker(
        project_id,
        database_url=database_url(engine),
        temporal_address=temporal_address,
        heartbeat_interval=0.5,
        log_path=tmp_path / f"sidecar-{project_id}.log",
    )


def kill(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        return


async def wait_for(condition, timeout: float = 90.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await asyncio.to_thread(condition):
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.25)


@pytest.mark.slow
async def test_kill_9_with_50_in_flight_then_restart(
    engine, project_id, build, temporal, temporal_address, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("WFB_STALE_SECONDS", "3")
    build(RESILIENT)
    first = start_sidecar(engine, project_id, temporal_address, tmp_path)
    client = await temporal.get_client()
    try:
        # watch=False: this process starts the runs and then forgets them, like a kernel that went away.
        refs = [
            await start_execution(engine, client, project_id, "resilient", watch=False)
            for _ in range(50)
        ]
        for number, ref in enumerate(refs):
            await signal_execution(engine, client, ref, "go", {"n": number})
        await asyncio.sleep(0.3)  # the sidecar is now running `nap` activities for the 50 runs
        kill(first, signal.SIGKILL)

        second = start_sidecar(engine, project_id, temporal_address, tmp_path)

        def all_closed() -> bool:
            with session_scope(engine) as session:
                rows = list_executions(session, project_id=project_id, limit=None)
                return all(row.status != "running" for row in rows)

        try:
            await wait_for(all_closed)
        except AssertionError:
            await _explain_stuck(engine, client, project_id)
            raise
        with session_scope(engine) as session:
            rows = {
                r.temporal_workflow_id: r
                for r in list_executions(session, project_id=project_id, limit=None)
            }
            attempts = {
                ref.workflow_id: list_activity_attempts(session, ref.workflow_id) for ref in refs
            }
            workers = list_workers(session, project_id)
        for number, ref in enumerate(refs):
            row = rows[ref.workflow_id]
            assert (row.status, row.result) == ("completed", number)
            assert row.duration_ms is not None
            finished = {(a.step_id, a.status) for a in attempts[ref.workflow_id]}
            assert ("after", "completed") in finished and ("nap", "completed") in finished
        by_pid = {worker.pid: worker for worker in workers}
        assert by_pid[first].status == "stale"  # cleaned up by the second sidecar's heartbeat
        assert "no heartbeat" in by_pid[first].error
        assert by_pid[second].status == "running"
        kill(second, signal.SIGTERM)

        def stopped() -> bool:
            with session_scope(engine) as session:
                return (
                    next(w for w in list_workers(session, project_id) if w.pid == second).status
                    == "stopped"
                )

        await wait_for(stopped, timeout=30)
    finally:
        kill(first, signal.SIGKILL)
        kill(locals().get("second", first), signal.SIGKILL)


async def _explain_stuck(engine, client, project_id: str) -> None:
    with session_scope(engine) as session:
        stuck = [
            r
            for r in list_executions(session, project_id=project_id, limit=None)
            if r.status == "running"
        ]
    print(f"{len(stuck)} executions still open")
    for row in stuck[:2]:
        handle = client.get_workflow_handle(row.temporal_workflow_id, run_id=row.temporal_run_id)
        description = await handle.describe()
        print(
            row.temporal_workflow_id,
            description.status,
            description.raw_description.pending_activities,
            description.raw_description.pending_workflow_task,
        )
        async for event in handle.fetch_history_events():
            print("  ", event.event_id, event.event_type, event.event_time.ToDatetime().time())


SIMPLE = """
name: simple
input:
  n: {type: integer}
steps:
  - id: one
    call: echo
    with: {value: "${input.n}"}
  - id: two
    call: echo
    with: {value: "${steps.one.result}"}
output: ${steps.two.result}
"""


@pytest.mark.slow
async def test_kernel_and_sidecar_record_into_one_sqlite_at_once(
    engine, project_id, build, manager, temporal, temporal_address, tmp_path
) -> None:
    build(SIMPLE)
    with session_scope(engine) as session:
        other = get_or_create_project(session, get_project(session, project_id).user_id, "side").id
    build(SIMPLE, project=other)
    await manager.start_worker_for_project(project_id)  # the "kernel" worker, in this process
    sidecar = start_sidecar(engine, other, temporal_address, tmp_path)
    client = await temporal.get_client()
    try:
        starts = [
            start_execution(engine, client, project, "simple", {"n": n})
            for n in range(30)
            for project in (project_id, other)
        ]
        refs = await asyncio.gather(*starts)

        def all_done() -> bool:
            with session_scope(engine) as session:
                rows = list_executions(session, limit=None)
                return len(rows) == 60 and all(row.status == "completed" for row in rows)

        await wait_for(all_done)
        await manager.worker(project_id).recorder.flush()

        def all_attempts() -> bool:
            with session_scope(engine) as session:
                return all(
                    len(list_activity_attempts(session, ref.workflow_id)) == 2 for ref in refs
                )

        await wait_for(all_attempts, timeout=30)
    finally:
        kill(sidecar, signal.SIGTERM)


def test_sidecar_for_unknown_project_fails_clearly(engine, temporal_address, tmp_path) -> None:
    with pytest.raises(WorkerStartError, match="no project 'nope'"):
        start_sidecar(engine, "nope", temporal_address, tmp_path)
