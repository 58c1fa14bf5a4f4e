"""A worker whose connection to Temporal drops recovers by itself, and its status says what happened."""

from __future__ import annotations

import asyncio
import contextlib

from wfb_jupyter.executions import start_execution, wait_for_result
from wfb_jupyter.temporal import TemporalConnection, TemporalSettings
from wfb_jupyter.workers import ProjectWorkerManager

ECHO = """
name: echo-once
input:
  n: {type: integer}
steps:
  - id: one
    call: echo
    with: {value: "${input.n}"}
output: ${steps.one.result}
"""


class CuttableProxy:
    """A loopback TCP proxy whose connections can be cut, and new ones refused, on demand."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit(":", 1)
        self._target = (host, int(port))
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.up = True

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"127.0.0.1:{port}"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        self._writers |= {writer, upstream_writer}
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        writer.close()
        self._writers.discard(writer)

    def cut(self) -> None:
        self.up = False
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def restore(self) -> None:
        self.up = True

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()


async def test_worker_recovers_after_temporal_connection_drops(
    engine, project_id, build, temporal, temporal_address
) -> None:
    build(ECHO)
    proxy = CuttableProxy(temporal_address)
    proxied = TemporalConnection(TemporalSettings(await proxy.start(), "default"))
    manager = ProjectWorkerManager(
        engine, connection=proxied, heartbeat_interval=0.3, version_check_interval=0.3
    )
    try:
        await manager.start_worker_for_project(project_id)
        client = await temporal.get_client()  # the starter talks to Temporal directly
        first = await start_execution(engine, client, project_id, "echo-once", {"n": 1})
        assert await wait_for_result(engine, client, first, timeout=30) == 1

        proxy.cut()
        await asyncio.sleep(3)
        seen_during_outage = manager.status(project_id).status
        proxy.restore()

        second = await start_execution(engine, client, project_id, "echo-once", {"n": 2})
        assert await wait_for_result(engine, client, second, timeout=60) == 2
        status = manager.status(project_id)
        assert status.status == "running", status
        assert status.error is None
        assert seen_during_outage in ("running", "reconnecting")
    finally:
        await manager.stop_all()
        await proxy.close()
