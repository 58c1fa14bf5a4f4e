"""`wfb demo` as a user runs it against a pinned server: a real process."""

from __future__ import annotations

import os
import subprocess
import sys
import time


def test_demo_on_a_pinned_server(temporal_address: str) -> None:
    env = {**os.environ, "TEMPORAL_ADDRESS": temporal_address}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "wfb_jupyter", "demo", "--name", "tests"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"Using the Temporal server at {temporal_address} (TEMPORAL_ADDRESS)" in done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("Result: ")
    assert time.monotonic() - started < 120


def test_demo_against_an_unreachable_pinned_server_says_so() -> None:
    env = {**os.environ, "TEMPORAL_ADDRESS": "127.0.0.1:1"}
    done = subprocess.run(
        [sys.executable, "-m", "wfb_jupyter", "demo"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    assert "Cannot reach Temporal at 127.0.0.1:1" in done.stderr
    assert "Traceback" not in done.stderr
