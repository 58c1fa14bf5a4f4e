"""Several workers on one project, sharing its task queue, on PostgreSQL and the real Temporal server: the
kernel's worker (in this process) and two ``wfb worker`` sidecars. Every execution is completed and recorded
once, every attempt recorded once, each worker does a share; one sidecar killed with SIGKILL half-way loses and
doubles nothing; a newly activated version reaches every worker; a SIGKILLed one is marked stale."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator

import pytest
from fleet_support import Fleet, kill_hard, wait_for, wait_serving, worker_row
from sqlalchemy import Engine, func, select

from wfb_jupyter import Workspace
from wfb_jupyter.builds import compile_and_store
from wfb_jupyter.executions import close_finished_executions, start_execution
from wfb_jupyter.magics._run_commands import _describe_worker as describe_worker
from wfb_jupyter.settings import WfbSettings
from wfb_jupyter.storage import (
    ExecutionRollup,
    activate_version,
    get_project,
    get_user,
    get_workflow_by_name,
    list_activity_attempts,
    list_executions,
    session_scope,
    tally_attempts,
    worker_statuses,
)
from wfb_jupyter.temporal import TemporalConnection
from wfb_jupyter.workers import ProjectWorkerManager

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

STALE_SECONDS = 4.0
# Each step retries soon after its timeout, so that an attempt lost with a killed worker runs elsewhere.
FLEET = """
name: fleet
input:
  n: {type: integer}
steps:
  - id: first
    call: echo
    with: {value: "${input.n}"}
    timeouts: {start_to_close: 3s}
    retry: {initial_interval: 100ms, backoff: 1}
  - id: nap
    call: sleep
    with: {seconds: 0.15, heartbeat_interval: 0.1}
    timeouts: {start_to_close: 3s}
    retry: {initial_interval: 100ms, backoff: 1}
  - id: last
    call: echo
    with: {value: "${steps.first.result}"}
    timeouts: {start_to_close: 3s}
    retry: {initial_interval: 100ms, backoff: 1}
output: ${steps.last.result}
"""
STEPS = ("first", "nap", "last")
HALF = 30


def store(engine: Engine, project_id: str, source: str, *, activate: bool = True) -> int:
    with session_scope(engine) as session:
        return compile_and_store(session, project_id, source, activate=activate).stored.version


@pytest.fixture
async def kernel_worker(
    pg_engine: Engine, temporal: TemporalConnection
) -> AsyncIterator[ProjectWorkerManager]:
    """The kernel's worker: a manager in this process, as a notebook runs it."""
    manager = ProjectWorkerManager(
        pg_engine,
        connection=temporal,
        heartbeat_interval=0.5,
        stale_after=STALE_SECONDS,
        version_check_interval=0.5,
        reconcile_interval=1.0,
        reconciler=close_finished_executions,
    )
    yield manager
    await manager.stop_all()


async def test_three_workers_share_a_project_exactly_once_through_a_sigkill(
    pg_engine: Engine,
    pg_project_id: str,
    fleet: Fleet,
    kernel_worker: ProjectWorkerManager,
    temporal: TemporalConnection,
) -> None:
    engine, project = pg_engine, pg_project_id
    store(engine, project, FLEET)
    await kernel_worker.start_worker_for_project(project)
    options = ("--refresh-interval", "0.5", "--log-format", "json")
    env = {"WFB_STALE_SECONDS": str(STALE_SECONDS)}
    doomed, survivor = (fleet.launch(project, *options, env=env) for _ in range(2))
    for sidecar in (doomed, survivor):
        await wait_serving(engine, project, sidecar)
    client = await temporal.get_client()

    async def start(numbers: range) -> list[str]:
        # watch=False: the workers themselves close the records, as when the starting kernel is gone.
        refs = [
            await start_execution(engine, client, project, "fleet", {"n": n}, watch=False)
            for n in numbers
        ]
        return [ref.workflow_id for ref in refs]

    def completed() -> int:
        with session_scope(engine) as session:
            rows = list_executions(session, project_id=project, limit=None)
            return sum(1 for row in rows if row.status == "completed")

    def recorded() -> int:
        with session_scope(engine) as session:
            return tally_attempts(session, project).distinct

    first_half = await start(range(HALF))
    await wait_for(lambda: completed() == HALF, what="the first half completed")
    # An attempt is committed before its result goes back to Temporal, unless the database is slower than the
    # recorder's bound: wait for the records rather than assume them.
    await wait_for(lambda: recorded() >= HALF * len(STEPS), what="the first half's attempts")
    with session_scope(engine) as session:
        tally = tally_attempts(session, project)
    print("first half:", [(s.mode, s.pid, s.attempts) for s in tally.shares])
    assert tally.duplicates == 0
    by_pid = {share.pid: share.attempts for share in tally.shares}
    assert set(by_pid) == {kernel_worker.status(project).pid, doomed.pid, survivor.pid}
    assert all(count > 0 for count in by_pid.values()), by_pid

    # Half-way: the second half is still being started while the first of it complete.
    starting = asyncio.ensure_future(start(range(HALF, 2 * HALF)))
    # Attempts are recorded as they finish (closes lag behind by the reconciler's interval): kill when half of
    # the second half's attempts are in.
    halfway = HALF * len(STEPS) + HALF * len(STEPS) // 2
    await wait_for(lambda: recorded() >= halfway, what="the second half under way")
    kill_hard(doomed)  # mid-flight: its running attempts time out and run on the others
    killed_at = recorded()
    second_half = await starting
    assert killed_at < 2 * HALF * len(STEPS)
    await wait_for(lambda: completed() == 2 * HALF, timeout=180, what="every execution completed")

    def every_step_recorded() -> bool:
        with session_scope(engine) as session:
            return all(
                {a.step_id for a in list_activity_attempts(session, run) if a.status == "completed"}
                == set(STEPS)
                for run in first_half + second_half
            )

    await wait_for(every_step_recorded, what="a completed attempt of every step recorded")

    with session_scope(engine) as session:
        rows = {
            row.temporal_workflow_id: row
            for row in list_executions(session, project_id=project, limit=None)
        }
        attempts = {run: list_activity_attempts(session, run) for run in rows}
        tally = tally_attempts(session, project)
        closed = session.scalar(
            select(func.sum(ExecutionRollup.executions)).where(
                ExecutionRollup.project_id == project
            )
        )
    print(
        f"SIGKILL of {doomed.pid} with {killed_at} of {2 * HALF * len(STEPS)} attempts in; "
        f"retried after it: {tally.attempts - 2 * HALF * len(STEPS)}; shares:",
        [(s.mode, s.pid, s.attempts) for s in tally.shares],
    )
    assert len(rows) == 2 * HALF
    for n, run in enumerate(first_half + second_half):
        assert (rows[run].status, rows[run].result) == ("completed", n)
        done = {a.step_id for a in attempts[run] if a.status == "completed"}
        assert done == set(STEPS), (run, done)
    # No attempt (run, activity, attempt number) has two rows, whichever workers ran and recorded it. (A step
    # may show two completed attempts if a worker died between committing its record and reporting the result
    # to Temporal, which then ran it again: two attempts, each recorded once.)
    assert tally.duplicates == 0
    assert closed == 2 * HALF  # each close counted once in the rollups, whoever recorded it
    assert {s.pid for s in tally.shares if s.attempts} >= {survivor.pid}

    # The killed sidecar's row is cleaned up by the others' heartbeats.
    def doomed_is_stale() -> bool:
        row = worker_row(engine, project, doomed.pid)
        return row is not None and row.status == "stale"

    await wait_for(doomed_is_stale, what="the killed sidecar marked stale")
    with session_scope(engine) as session:
        live = worker_statuses(session, project, stale_after=STALE_SECONDS)
    assert {status.pid for status in live} == {
        kernel_worker.status(project).pid,
        survivor.pid,
    }
    survivor.signal(signal.SIGTERM)


async def test_every_worker_loads_a_newly_activated_version(
    pg_engine: Engine,
    pg_project_id: str,
    postgres_url: str,
    fleet: Fleet,
    kernel_worker: ProjectWorkerManager,
    temporal: TemporalConnection,
) -> None:
    engine, project = pg_engine, pg_project_id
    store(engine, project, FLEET)
    await kernel_worker.start_worker_for_project(project)
    sidecars = [fleet.launch(project, "--refresh-interval", "0.5") for _ in range(2)]
    for sidecar in sidecars:
        await wait_serving(engine, project, sidecar)
    second = store(engine, project, FLEET.replace("seconds: 0.15", "seconds: 0.05"), activate=False)
    with session_scope(engine) as session:
        workflow = get_workflow_by_name(session, project, "fleet")
        assert workflow is not None
        activate_version(session, workflow.id, second)

    def everyone_serves_v2() -> bool:
        with session_scope(engine) as session:
            statuses = worker_statuses(session, project, stale_after=STALE_SECONDS)
        return len(statuses) == 3 and all(
            f"fleet.v{second}" in status.loaded_versions for status in statuses
        )

    try:
        await wait_for(everyone_serves_v2, what="all three workers serving version 2")
    except AssertionError:
        with session_scope(engine) as session:
            for status in worker_statuses(session, project, stale_after=STALE_SECONDS):
                print(status.describe())
        raise
    # What a notebook sees: the workers service (`ws.workers.list()`) and `%wfb workers`' lines.
    with session_scope(engine) as session:
        owner = get_user(session, get_project(session, project).user_id)
        assert owner is not None
    workspace = Workspace(WfbSettings(database_url=postgres_url, project="fleet", user=owner.name))
    try:
        statuses = workspace.workers.list()
    finally:
        workspace.engine.dispose()  # the process-wide engine of a schema the fixture drops
    for status in statuses:
        line = describe_worker(status)  # mode, pid, host, status, uptime, heartbeat age, versions
        print(line)
        assert status.host and status.pid and status.uptime is not None
        assert f"pid {status.pid} on {status.host}: running, up " in line
        assert f"fleet.v{second}" in line
    assert sorted(status.mode for status in statuses) == ["in-kernel", "sidecar", "sidecar"]

    client = await temporal.get_client()
    ref = await start_execution(engine, client, project, "fleet", {"n": 7})

    def ran_on_v2() -> bool:
        with session_scope(engine) as session:
            rows = list_executions(session, project_id=project, limit=None)
        return any(row.status == "completed" and row.version == second for row in rows)

    await wait_for(ran_on_v2, what=f"{ref.workflow_id} completed on version {second}")
