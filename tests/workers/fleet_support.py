"""Helpers for tests that run a project's workers as separate ``wfb worker`` processes, the way a service
manager would: each a child of the test with its own log file (never pytest's stdout/stderr), stopped by the
``fleet`` fixture whatever the test's outcome."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from wfb_jupyter.storage import WorkerRecord, list_workers, session_scope

SERVE_TIMEOUT = 90.0  # generous: two cores shared with other work


@dataclass
class Sidecar:
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def signal(self, signum: int) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signum)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class Fleet:
    """Starts ``wfb worker`` processes and remembers them so that the fixture can stop every one."""

    def __init__(self, directory: Path, database_url: str, temporal_address: str) -> None:
        self._directory = directory
        self._database_url = database_url
        self._temporal_address = temporal_address
        self.sidecars: list[Sidecar] = []

    def launch(self, project_id: str, *options: str, env: dict[str, str] | None = None) -> Sidecar:
        log = self._directory / f"sidecar-{len(self.sidecars)}.log"
        environment = dict(
            os.environ,
            WFB_DATABASE_URL=self._database_url,
            TEMPORAL_ADDRESS=self._temporal_address,
            TEMPORAL_NAMESPACE="default",
            WFB_HEARTBEAT_SECONDS="0.5",
            **(env or {}),
        )
        with log.open("ab") as out:
            process = subprocess.Popen(  # noqa: S603 - this interpreter running our own CLI
                [sys.executable, "-m", "wfb_jupyter", "worker", project_id, *options],
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        sidecar = Sidecar(process, log)
        self.sidecars.append(sidecar)
        return sidecar

    def stop_all(self) -> None:
        for sidecar in self.sidecars:
            if sidecar.process.poll() is None:
                sidecar.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):  # a kill is not refused
                sidecar.process.wait(timeout=30)


def worker_row(engine: Engine, project_id: str, pid: int) -> WorkerRecord | None:
    with session_scope(engine) as session:
        rows = [row for row in list_workers(session, project_id) if row.pid == pid]
        return rows[-1] if rows else None


async def wait_for(condition: Callable[[], bool], timeout: float = 120.0, what: str = "") -> None:
    """Poll ``condition`` (run off the loop) until true; fail after a generous ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await asyncio.to_thread(condition):
        assert loop.time() < deadline, f"not met within {timeout:.0f} s: {what or condition}"
        await asyncio.sleep(0.25)


async def wait_serving(engine: Engine, project_id: str, sidecar: Sidecar) -> WorkerRecord:
    def serving() -> bool:
        assert sidecar.process.poll() is None, f"sidecar exited: {sidecar.log_text()[-2000:]}"
        row = worker_row(engine, project_id, sidecar.pid)
        return row is not None and row.status == "running"

    await wait_for(serving, SERVE_TIMEOUT, f"sidecar {sidecar.pid} serving")
    row = worker_row(engine, project_id, sidecar.pid)
    assert row is not None
    return row


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_exit(sidecar: Sidecar, timeout: float = 90.0) -> int:
    deadline = time.monotonic() + timeout
    while sidecar.process.poll() is None:
        assert time.monotonic() < deadline, "the sidecar did not exit"
        time.sleep(0.1)
    return int(sidecar.process.returncode)


def kill_hard(sidecar: Sidecar) -> None:
    sidecar.signal(signal.SIGKILL)
    sidecar.process.wait(timeout=30)
