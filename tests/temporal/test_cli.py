"""`wfb server` and `wfb demo` as a user runs them: real processes, real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from hello_workflow import HelloWorkflow, say_hello
from temporalio.client import Client
from temporalio.worker import Worker


def start_server(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "wfb_jupyter", "server", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first.startswith("Embedded Temporal service listening on 127.0.0.1:"), first
    return process, first.rsplit(" ", 1)[1].strip()


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
async def test_server_runs_workflows_and_stops_cleanly_on_signal(
    stop_signal: signal.Signals, task_queue: str
) -> None:
    process, address = start_server("--namespace", "extra")
    try:
        assert process.stdout is not None
        notice = process.stdout.readline()
        assert "not durable" in notice and "extra" in notice
        client = await Client.connect(address)
        async with Worker(
            client, task_queue=task_queue, workflows=[HelloWorkflow], activities=[say_hello]
        ):
            result = await client.execute_workflow(
                HelloWorkflow.run, "CLI", id=f"cli-{task_queue}", task_queue=task_queue
            )
        assert result == "Hello, CLI!"
        process.send_signal(stop_signal)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_server_refuses_a_port_in_use() -> None:
    first, address = start_server()
    try:
        port = address.rsplit(":", 1)[1]
        second = subprocess.run(
            [sys.executable, "-m", "wfb_jupyter", "server", "--port", port],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2
        assert f"cannot listen on 127.0.0.1:{port}" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.terminate()
        first.wait(timeout=15)


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
