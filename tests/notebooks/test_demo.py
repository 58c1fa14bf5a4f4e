"""``wfb demo`` as a user runs it: a real process, the local Temporal server, a new database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from wfb_jupyter.temporal import LocalServer


def demo(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wfb_jupyter", "demo", *args],
        capture_output=True, text=True, env=env, timeout=180,
    )  # fmt: skip


def test_demo_starts_the_local_server_builds_runs_and_writes_charts(tmp_path: Path) -> None:
    """A fresh data directory, as on a new machine: the first demo starts the local server, the second
    reuses it."""
    env = {k: v for k, v in os.environ.items() if k not in ("TEMPORAL_ADDRESS", "WFB_DATABASE_URL")}
    env["WFB_DATA_DIR"] = str(tmp_path / "data")
    charts = tmp_path / "charts.html"
    try:
        done = demo(env, "--charts", str(charts))
        again = demo(env)
    finally:
        LocalServer(tmp_path / "data").stop()
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    first = re.fullmatch(
        r"Using the local Temporal server at (127\.0\.0\.1:\d+) \(started now; data in \S+/data/temporal\), "
        r"namespace 'default'; Web UI: (http://127\.0\.0\.1:\d+)\.",
        lines[0],
    )
    assert first, lines[0]
    address, ui = first.groups()
    assert lines[1] == f"Database: {tmp_path / 'data' / 'wfb.db'}"
    assert lines[2] == "Built 'order-report' version 1 (3 steps, active; project 'demo')."
    assert "Started the in-kernel worker on task queue" in done.stdout
    assert re.search(r"^Execution order-report-[0-9a-f]{12}: completed$", done.stdout, re.MULTILINE)
    assert re.search(
        rf"^Execution: {ui}/namespaces/default/workflows/order-report-\S+/history$",
        done.stdout,
        re.M,
    )
    assert f"Charts of 5 executions of 'order-report': {charts}" in lines
    assert (
        f"All its executions in the Web UI: {ui}/namespaces/default/workflows?query=" in done.stdout
    )
    assert lines[-1] == 'Result: {"customer": "ACME", "largest": "B-7", "total": 155.0}'
    page = charts.read_text()
    for heading in (
        "Latest execution",
        "Durations",
        "Percentiles over time",
        "Success rate",
        "Slowest components",
        "Retries",
    ):
        assert f">{heading}<" in page
    assert "Traceback" not in done.stderr

    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(
        f"Using the local Temporal server at {address} (running; data in "
    )
    assert "'order-report' is unchanged: version 1 already has this definition" in again.stdout
    assert "Charts of 10 executions of 'order-report'" in again.stdout
