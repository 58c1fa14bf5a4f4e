"""Sidecar workers: a ``wfb worker PROJECT`` process that serves a project and outlives the kernel."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy import Engine
from temporalio.worker import Interceptor

from wfb_jupyter.components import NotebookPlaces
from wfb_jupyter.storage import create_storage_engine, list_workers, session_scope
from wfb_jupyter.temporal import TemporalConnection
from wfb_jupyter.workers._health import HealthServer
from wfb_jupyter.workers._manager import ExecutionReconciler, ProjectWorkerManager, WorkerStartError

logger = logging.getLogger(__name__)

_START_TIMEOUT = 60.0


def sidecar_log_path(project_id: str) -> Path:
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "wfb-jupyter" / "workers" / f"{project_id}.log"


def start_sidecar_worker(
    project_id: str,
    *,
    database_url: str,
    temporal_address: str | None,
    namespace: str = "default",
    data_dir: Path | None = None,
    heartbeat_interval: float | None = None,
    notebook_places: NotebookPlaces | None = None,
    environment: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    timeout: float = _START_TIMEOUT,
    options: Sequence[str] = (),
) -> int:
    """Start ``wfb worker`` in its own session (it survives the kernel) and wait until it serves; its pid.

    ``temporal_address`` pins the sidecar to a server; without it the sidecar uses the local server of
    ``data_dir``, which it starts again itself should that server die. ``environment`` adds variables (the
    notebook's payload settings, so that the sidecar stores values where the kernel looks for them);
    ``options`` are more of ``wfb worker``'s (``--refresh-interval 1``, ``--health 8081``...).
    """
    log_path = log_path or sidecar_log_path(project_id)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TEMPORAL_NAMESPACE=namespace, WFB_DATABASE_URL=database_url)
    env.pop("TEMPORAL_ADDRESS", None)
    if temporal_address:
        env["TEMPORAL_ADDRESS"] = temporal_address
    if data_dir is not None:
        env["WFB_DATA_DIR"] = str(data_dir)
    if heartbeat_interval is not None:
        env["WFB_HEARTBEAT_SECONDS"] = str(heartbeat_interval)
    if notebook_places is not None:
        env["WFB_NOTEBOOK_DIR"] = str(notebook_places.base_dir)
        env["WFB_EXECUTED_DIR"] = str(notebook_places.executed_dir)
    env.update(environment or {})
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - this interpreter running our own CLI
            [sys.executable, "-m", "wfb_jupyter", "worker", project_id, *options],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    engine = create_storage_engine(database_url)
    try:
        _wait_until_serving(engine, project_id, process, log_path, timeout)
    finally:
        engine.dispose()
    return process.pid


def _wait_until_serving(
    engine: Engine, project_id: str, process: subprocess.Popen[bytes], log: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise WorkerStartError(
                f"the sidecar worker for {project_id!r} exited with status {process.returncode}: "
                f"{_tail(log)} (log: {log})"
            )
        with session_scope(engine) as session:
            rows = list_workers(session, project_id)
        mine = [row for row in rows if row.pid == process.pid]
        if mine and mine[-1].status == "running":
            return
        if mine and mine[-1].status == "error":
            raise WorkerStartError(f"the sidecar worker for {project_id!r}: {mine[-1].error}")
        time.sleep(0.2)
    process.terminate()
    raise WorkerStartError(
        f"the sidecar worker for {project_id!r} did not start serving within {timeout:.0f} s (log: {log})"
    )


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no output"
    return " | ".join(text[-lines:]) or "no output"


async def serve_project(
    engine: Engine,
    project_id: str,
    *,
    connection: TemporalConnection,
    heartbeat_interval: float,
    stale_after: float,
    reconciler: ExecutionReconciler | None = None,
    interceptors: Sequence[Interceptor] = (),
    drain_timeout: float = 30.0,
    refresh_interval: float = 2.0,
    health: tuple[str, int] | None = None,
) -> None:
    """Run the project's worker in this process until SIGINT or SIGTERM, then drain it: no more polling,
    running activities finish (up to ``drain_timeout``) and are recorded. A second signal stops at once."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    draining: list[asyncio.Future[None]] = []

    def on_signal() -> None:
        if not stop.is_set():
            stop.set()
        elif draining:  # asked twice: running activities are abandoned (Temporal retries them)
            logger.warning(
                "signalled again: stopping without waiting", extra={"event": "sidecar.abort"}
            )
            draining[0].cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    manager = ProjectWorkerManager(
        engine,
        connection=connection,
        mode="sidecar",
        heartbeat_interval=heartbeat_interval,
        stale_after=stale_after,
        version_check_interval=refresh_interval,
        drain_timeout=drain_timeout,
        reconciler=reconciler,
        interceptors=interceptors,
    )
    checks = HealthServer(lambda: manager.status(project_id))
    if health is not None:
        host, port = await checks.start(*health)
        logger.info(
            "health checks on http://%s:%s/healthz", host, port, extra={"event": "sidecar.health"}
        )
    try:
        status = await manager.start_worker_for_project(project_id)
        logger.info(status.describe(), extra={"event": "sidecar.serving", "project": project_id})
        await stop.wait()
        logger.info(
            "draining the sidecar worker for %s", project_id, extra={"event": "sidecar.drain"}
        )
        draining.append(asyncio.ensure_future(manager.stop_all()))
        with contextlib.suppress(asyncio.CancelledError):
            await draining[0]
    finally:
        if not draining:
            await manager.stop_all()
        await checks.close()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
