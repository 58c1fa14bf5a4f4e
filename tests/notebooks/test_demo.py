"""``wfb demo`` as a user runs it: a real process, the embedded Temporal service, a new database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def test_demo_builds_runs_and_writes_charts(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TEMPORAL_ADDRESS", "WFB_DATABASE_URL")}
    charts = tmp_path / "charts.html"
    done = subprocess.run(
        [sys.executable, "-m", "wfb_jupyter", "demo", "--temp-database", "--charts", str(charts)],
        capture_output=True, text=True, env=env, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Using ")
    assert re.fullmatch(r"Database: /\S+/wfb\.db", lines[1])
    assert lines[2] == "Built 'order-report' version 1 (3 steps, active; project 'demo')."
    assert "Started the in-kernel worker on task queue" in done.stdout
    assert re.search(r"^Execution order-report-[0-9a-f]{12}: completed$", done.stdout, re.MULTILINE)
    assert f"Charts of 5 executions of 'order-report': {charts}" in lines
    assert lines[-1] == 'Result: {"customer": "ACME", "largest": "B-7", "total": 155.0}'
    page = charts.read_text()
    for heading in (
        "Latest execution",
        "Durations",
        "Percentiles over time",
        "Success rate",
        "Slowest components",
    ):
        assert f">{heading}<" in page
    assert "Traceback" not in done.stderr
