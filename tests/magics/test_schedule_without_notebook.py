"""A schedule made by a notebook keeps firing after that notebook's process is gone: a sidecar worker runs and
records its runs, and they show in ``%wfb executions`` and the statistics of another notebook."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from wfb_jupyter.workers import start_sidecar_worker

# The "notebook": builds a workflow, schedules it every second, and exits. No worker runs in it.
NOTEBOOK = textwrap.dedent(
    """
    import sys
    from wfb_jupyter import Workspace
    from wfb_jupyter.settings import WfbSettings

    ws = Workspace(
        WfbSettings(database_url=sys.argv[1], project=sys.argv[2], auto_start_worker=False)
    )
    ws.build("tick", sys.stdin.read())
    info = ws.schedules.create("tick", {"n": 41}, every="1s")
    print(ws.projects.current().id)
    print(info.summary())
    """
)

TICK = """\
input:
  n: integer
steps:
  - id: first
    call: echo
    with: {value: "${input.n}"}
  - id: second
    call: echo
    with: {value: "${steps.first.result + 1}"}
output: ${steps.second.result}
"""


def test_runs_of_a_schedule_are_recorded_with_no_notebook_open(
    ip: Any, capsys: Any, database_url: str, temporal_address: str, tmp_path: Path
) -> None:
    # No worker runs in this process: only the sidecar can record the runs.
    ip.run_line_magic("config", "WfbSettings.auto_start_worker = False")
    project = ip.run_line_magic("config", "WfbSettings.project")
    made = subprocess.run(
        [sys.executable, "-c", NOTEBOOK, database_url, project],
        input=TICK,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    project_id, *summary = made.stdout.splitlines()
    assert "  next 5 fire times:" in summary
    ws = ip.magics_manager.registry["WorkflowMagics"].context.workspace
    sidecar = start_sidecar_worker(
        project_id,
        database_url=database_url,
        temporal_address=temporal_address,
        heartbeat_interval=0.5,
        log_path=tmp_path / "sidecar.log",
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            runs = [r for r in ws.runs.list("tick") if r.schedule_id and r.status == "completed"]
            attempts = ws.stats.attempts_frame("tick")
            recorded = [r for r in runs if (attempts["workflow_id"] == r.workflow_id).sum() == 2]
            if len(recorded) >= 3:
                break
            assert time.monotonic() < deadline, "the sidecar did not record three scheduled runs"
            time.sleep(0.5)
        assert {r.result for r in recorded} == {42}
        assert [w.mode for w in ws.workers.list() if w.status == "running"] == ["sidecar"]

        capsys.readouterr()
        ip.run_line_magic("wfb", "executions tick")
        table = capsys.readouterr().out
        assert all(run.workflow_id in table for run in recorded[:3])
        assert "tick v1 (scheduled)  completed" in table
        summary_frame = ip.run_line_magic("wfb", "stats tick --table")
        assert int(summary_frame["completed"].sum()) >= 3
        charts = ws.stats.charts("tick")
        assert charts and "Latest execution" in charts
    finally:
        ws.schedules.delete("tick")
        _stop(sidecar)


def _stop(pid: int) -> None:
    """SIGTERM the sidecar (our child) and reap it; SIGKILL it if it does not stop."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:  # already reaped
            return
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
