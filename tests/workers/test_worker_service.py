"""``wfb worker PROJECT`` as a service manager runs it: health endpoints and ``--check``, Prometheus metrics,
JSON log lines, and SIGTERM draining (the running activity finishes and is recorded, exit status 0)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from fleet_support import Fleet, free_port, wait_exit, wait_for, wait_serving, worker_row
from sqlalchemy import Engine
from temporalio.api.enums.v1 import PendingActivityState

from wfb_jupyter.executions import start_execution
from wfb_jupyter.storage import list_activity_attempts, list_executions, session_scope
from wfb_jupyter.temporal import TemporalConnection
from wfb_jupyter.workers import ProjectWorkerManager

QUICK = """
name: quick
steps:
  - id: one
    call: echo
    with: {value: 1}
output: ${steps.one.result}
"""
# One long attempt: SIGTERM arrives while it runs.
LONG = """
name: long
steps:
  - id: nap
    call: sleep
    with: {seconds: 3, heartbeat_interval: 0.5}
    timeouts: {start_to_close: 60s, heartbeat: 10s}
output: ${steps.nap.result}
"""


@pytest.fixture
def sqlite_fleet(tmp_path, engine: Engine, temporal_address: str) -> Iterator[Fleet]:
    fleet = Fleet(tmp_path, engine.url.render_as_string(hide_password=False), temporal_address)
    try:
        yield fleet
    finally:
        fleet.stop_all()


def check(engine: Engine, project_id: str) -> subprocess.CompletedProcess[str]:
    """``wfb worker PROJECT --check``, as a container's health check runs it."""
    env = dict(os.environ, WFB_DATABASE_URL=engine.url.render_as_string(hide_password=False))
    return subprocess.run(  # noqa: S603 - this interpreter running our own CLI
        [sys.executable, "-m", "wfb_jupyter", "worker", project_id, "--check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
async def test_sidecar_as_a_service_health_metrics_logs_and_drain(
    engine: Engine,
    project_id: str,
    build,
    sqlite_fleet: Fleet,
    temporal: TemporalConnection,
    manager: ProjectWorkerManager,
) -> None:
    build(QUICK)
    build(LONG)
    health_port, metrics_port = free_port(), free_port()
    sidecar = sqlite_fleet.launch(
        project_id,
        "--health", str(health_port),
        "--metrics", f"127.0.0.1:{metrics_port}",
        "--log-format", "json",
        "--drain-timeout", "30",
    )  # fmt: skip
    row = await wait_serving(engine, project_id, sidecar)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{health_port}") as http:
        alive, ready, other = [await http.get(path) for path in ("/healthz", "/readyz", "/x")]
    assert (alive.status_code, ready.status_code, other.status_code) == (200, 200, 404)
    assert alive.json()["status"] == "running"
    assert alive.json()["worker"]["pid"] == sidecar.pid
    checked = check(engine, project_id)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"{sidecar.pid}@" in checked.stdout

    client = await temporal.get_client()
    await start_execution(engine, client, project_id, "quick")

    def quick_recorded() -> bool:
        with session_scope(engine) as session:
            rows = list_executions(session, project_id=project_id, limit=None)
        return any(r.status == "completed" for r in rows)

    await wait_for(quick_recorded, what="the quick run completed")

    def scrape() -> str:
        return httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text

    await wait_for(lambda: "wfb_activity_attempts_recorded" in scrape(), what="wfb metrics")
    metrics = scrape()
    assert "# TYPE" in metrics  # Prometheus text format
    assert "temporal_" in metrics  # the SDK's own metrics, from the same Runtime

    # SIGTERM while an activity runs: it stops polling, lets the attempt finish, records it, exits 0.
    ref = await start_execution(engine, client, project_id, "long", watch=False)
    handle = client.get_workflow_handle(ref.workflow_id)

    async def started() -> bool:
        pending = (await handle.describe()).raw_description.pending_activities
        return any(a.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED for a in pending)

    for _ in range(400):
        if await started():
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the long activity never started")
    sidecar.signal(signal.SIGTERM)
    status = await asyncio.to_thread(wait_exit, sidecar)
    log = sidecar.log_text()
    assert status == 0, log[-3000:]
    stopped = worker_row(engine, project_id, sidecar.pid)
    assert stopped is not None and stopped.status == "stopped"
    with session_scope(engine) as session:
        naps = list_activity_attempts(session, ref.workflow_id)
    assert [(a.step_id, a.status, a.worker_id) for a in naps] == [("nap", "completed", row.id)]

    events = [json.loads(line)["event"] for line in log.splitlines() if '"event"' in line]
    assert "worker.draining" in events and "worker.stopped" in events
    assert events.index("worker.draining") < events.index("worker.stopped")
    assert check(engine, project_id).returncode == 1  # nothing serves on this host now

    # The run goes on on another worker: draining handed over, not lost.
    await manager.start_worker_for_project(project_id)
    assert isinstance(await asyncio.wait_for(handle.result(), 120), dict)
