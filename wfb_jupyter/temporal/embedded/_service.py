"""The embedded service's lifecycle: in the caller's loop, or on a daemon thread of its own."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Iterable
from types import TracebackType

import grpc

from ._namespaces import NamespaceRegistry
from ._server import build_server

log = logging.getLogger("wfb_jupyter.temporal.embedded")

_STOP_SLACK_SECONDS = 2.0


class EmbeddedTemporalService:
    """An in-memory Temporal WorkflowService on a loopback port, for tests, CI and offline notebooks.

    The real ``temporalio`` Client and Worker talk to it unchanged. It is **not durable**: every execution,
    history and queue lives in memory and is lost when the service stops. A real Temporal server is the
    path to durability and scale. All state belongs to the event loop that calls :meth:`start`.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, namespaces: Iterable[str] = ("default",)
    ) -> None:
        self._host = host
        self._requested_port = port
        self._namespace_names = tuple(namespaces)
        self._server: grpc.aio.Server | None = None
        self._namespaces: NamespaceRegistry | None = None
        self._port = 0

    @property
    def address(self) -> str:
        if not self._port:
            raise RuntimeError("the embedded Temporal service is not started")
        host = f"[{self._host}]" if ":" in self._host else self._host  # IPv6 literals need brackets
        return f"{host}:{self._port}"

    async def start(self) -> None:
        if self._server is not None:
            return
        self._namespaces = NamespaceRegistry(self._namespace_names)
        server = build_server(self._namespaces)
        host = f"[{self._host}]" if ":" in self._host else self._host
        target = f"{host}:{self._requested_port}"
        try:
            port = server.add_insecure_port(target)
        except RuntimeError as err:  # grpcio raises rather than returning 0 when the port is taken
            raise OSError(f"cannot bind the embedded Temporal service to {target}: {err}") from None
        if port == 0:
            raise OSError(f"cannot bind the embedded Temporal service to {target}")
        await server.start()
        self._server, self._port = server, port
        log.info("embedded Temporal service (in memory, not durable) listening on %s", self.address)

    async def stop(self, grace: float = 1.0) -> None:
        """Stop serving; open long polls are cut after ``grace`` seconds. Never hangs."""
        server, self._server = self._server, None
        if server is None:
            return
        try:
            await asyncio.wait_for(server.stop(grace), grace + _STOP_SLACK_SECONDS)
        except asyncio.TimeoutError:
            log.warning("embedded Temporal service did not stop within %.1f s", grace)
        if self._namespaces is not None:
            for namespace in self._namespaces.all():
                for run in namespace.engine.runs.values():
                    run.timers.cancel_all()

    async def __aenter__(self) -> EmbeddedTemporalService:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()


class BackgroundService:
    """An :class:`EmbeddedTemporalService` running on its own daemon thread and event loop.

    Like the service it wraps, it keeps everything in memory: nothing survives :meth:`stop`.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._service = EmbeddedTemporalService(host, port)
        self._loop = asyncio.new_event_loop()
        self._ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, name="wfb-embedded-temporal", daemon=True)
        self._stopped = False
        self._thread.start()
        self._ready.result(timeout=30)

    @property
    def address(self) -> str:
        return self._service.address

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._service.start())
        except BaseException as err:  # noqa: BLE001 - reported to the starting thread
            self._ready.set_exception(err)
            self._loop.close()
            return
        self._ready.set_result(None)
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    def stop(self, grace: float = 1.0) -> None:
        """Stop the service and its thread. Idempotent; returns within a few seconds whatever happens."""
        if self._stopped:
            return
        self._stopped = True
        if threading.current_thread() is self._thread:
            # Called from the service's own loop: waiting here would block the loop we wait on.
            self._loop.create_task(self._service.stop(grace)).add_done_callback(
                lambda _: self._loop.stop()
            )
            return
        if not self._loop.is_closed() and self._loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._service.stop(grace), self._loop)
            try:
                future.result(timeout=grace + 2 * _STOP_SLACK_SECONDS)
            except (concurrent.futures.TimeoutError, RuntimeError) as err:
                log.warning("embedded Temporal service stop: %s", err)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=grace + 2 * _STOP_SLACK_SECONDS)


def start_background_service(host: str = "127.0.0.1", port: int = 0) -> BackgroundService:
    """Start the embedded (in-memory, not durable) Temporal service on a daemon thread; return it running."""
    return BackgroundService(host, port)
