"""Durability on the real server: executions outlive the process that started them and a restart of the local
Temporal server, and their records end right.

These tests stop and start the session's local server (its history kept on disk); with TEMPORAL_ADDRESS
pinned there is no local server to restart, and they are skipped.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from wfb_jupyter.executions import start_execution, wait_for_result
from wfb_jupyter.settings import temporal_settings
from wfb_jupyter.storage import list_activity_attempts, list_executions, session_scope
from wfb_jupyter.temporal import local_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(os.environ.get("TEMPORAL_ADDRESS")),
        reason="restarts the local Temporal server; TEMPORAL_ADDRESS pins another one",
    ),
]

APPROVAL = """
name: approval
input:
  amount: {type: integer, default: 10}
signals:
  approve:
    payload: {by: string}
    set: {approver: "${signal.by}"}
steps:
  - id: wait
    wait_signal: approve
    timeout: 1h
  - id: book
    call: echo
    with: {value: "${input.amount} approved by ${vars.approver}"}
output: ${steps.book.result}
"""

NAPS = """
name: naps
input:
  n: {type: integer}
steps:
  - id: nap
    sleep: 4s
  - id: done
    call: echo
    with: {value: "${input.n}"}
output: ${steps.done.result}
"""

# A kernel, as far as Temporal and the database can tell: builds, starts a run, says its id, then waits to die.
STARTER = """
import sys, time
import wfb_jupyter
from wfb_jupyter.settings import WfbSettings
from wfb_jupyter import Workspace
ws = Workspace(WfbSettings(database_url=sys.argv[1], project="durable", user="durable"))
ws.build("approval", sys.argv[2])
ref = ws.run("approval", {"amount": 250})
print(ref.workflow_id, flush=True)
time.sleep(600)
"""

# Another process, later: signals the run by its id, waits for it, prints how it ended.
FINISHER = """
import json, sys
from wfb_jupyter.settings import WfbSettings
from wfb_jupyter import Workspace
ws = Workspace(WfbSettings(database_url=sys.argv[1], project="durable", user="durable"))
run = ws.runs.get(sys.argv[2])
run.signal("approve", {"by": "grace"})
outcome = run.wait(timeout=60)
print(json.dumps({"status": outcome.status, "result": outcome.result}), flush=True)
from wfb_jupyter.runtime import runtime
runtime().run(ws.workers.manager().stop_all(), 60)
"""


def restart_local_server() -> tuple[float, float]:
    """Stop and start the session's local server; seconds each took."""
    server = local_server(temporal_settings())
    began = time.monotonic()
    assert server.stop()
    stopped = time.monotonic()
    server.ensure()
    return stopped - began, time.monotonic() - stopped


def test_a_run_waiting_for_a_signal_survives_its_killed_starter_and_a_server_restart(
    tmp_path: Path, temporal_address: str
) -> None:
    url = f"sqlite:///{tmp_path / 'wfb.db'}"
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER, url, APPROVAL],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert starter.stdout is not None
        workflow_id = starter.stdout.readline().strip()
        assert workflow_id.startswith("approval-"), starter.stderr.read() if starter.stderr else ""
    finally:
        starter.send_signal(signal.SIGKILL)
        starter.wait()
    stop_seconds, start_seconds = restart_local_server()
    print(
        f"killed the starter (SIGKILL); server stopped in {stop_seconds:.2f} s, started in {start_seconds:.2f} s"
    )

    finished = subprocess.run(
        [sys.executable, "-c", FINISHER, url, workflow_id],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr
    outcome = json.loads(finished.stdout.strip().splitlines()[-1])
    print(f"a new process signalled {workflow_id} and got: {outcome}")
    assert outcome == {"status": "completed", "result": "250 approved by grace"}

    from wfb_jupyter.storage import create_storage_engine

    engine = create_storage_engine(url)
    try:
        with session_scope(engine) as session:
            (record,) = list_executions(session)
            attempts = list_activity_attempts(session, workflow_id)
            assert (record.temporal_workflow_id, record.status) == (workflow_id, "completed")
            assert record.result == "250 approved by grace" and record.duration_ms
            assert [(a.step_id, a.status, a.attempt) for a in attempts] == [
                ("book", "completed", 1)
            ]
    finally:
        engine.dispose()


async def test_runs_sleeping_on_timers_survive_a_server_restart(
    engine, project_id, build, manager, temporal
) -> None:
    build(NAPS)
    await manager.start_worker_for_project(project_id)
    client = await temporal.get_client()
    refs = [await start_execution(engine, client, project_id, "naps", {"n": n}) for n in range(20)]
    await asyncio.sleep(1)  # all of them asleep on their timers
    await asyncio.to_thread(restart_local_server)
    results = await asyncio.wait_for(
        asyncio.gather(*(wait_for_result(engine, client, ref) for ref in refs)), 120
    )
    assert results == list(range(20))
    with session_scope(engine) as session:
        records = list_executions(session, project_id=project_id, limit=None)
        assert sorted(r.status for r in records) == ["completed"] * 20
        for ref in refs:  # each run's one step after the nap, recorded once
            attempts = list_activity_attempts(session, ref.workflow_id)
            assert [(a.step_id, a.status) for a in attempts] == [("done", "completed")]


def test_starter_source_is_valid_python() -> None:
    for code in (STARTER, FINISHER):
        compile(textwrap.dedent(code), "snippet", "exec")
