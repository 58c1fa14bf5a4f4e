"""One Temporal connection manager per process: ``get_client``, ``check_health``, ``close``.

The server is resolved once per process. Clients are cached per event loop, because the runtime thread, tests and
scripts may each drive their own loop.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.service import TLSConfig

from wfb_jupyter.conversion import data_converter as plain_data_converter
from wfb_jupyter.settings import TemporalSettings, temporal_settings
from wfb_jupyter.temporal._errors import TemporalUnavailableError
from wfb_jupyter.temporal._resolution import ResolvedServer, local_server, resolve_server
from wfb_jupyter.temporal._runtime import sdk_runtime, set_sdk_log_level


@dataclass(frozen=True)
class HealthReport:
    ok: bool
    kind: str
    address: str
    namespace: str
    latency_ms: float | None = None
    server_version: str | None = None
    error: str | None = None


class TemporalConnection:
    """Resolves the server, connects with exponential backoff, and hands out one client per event loop.

    Clients convert values with ``data_converter``: a project's (``wfb_jupyter.payloads``, which stores large
    values in its payload store), given by whoever knows the project; until then wfb-jupyter's converter
    without a store, which passes the same types but nothing over Temporal's 2 MB payload limit.
    """

    def __init__(
        self,
        settings: TemporalSettings | None = None,
        *,
        data_converter: DataConverter | None = None,
        attempts: int = 5,
        initial_backoff: float = 0.25,
        max_backoff: float = 5.0,
    ) -> None:
        self._settings = settings
        self._data_converter = data_converter or plain_data_converter()
        if settings is not None:
            set_sdk_log_level(settings.sdk_log_level)
        self._attempts = max(1, attempts)
        self._initial_backoff = initial_backoff
        self._max_backoff = max_backoff
        self._server: ResolvedServer | None = None
        self._resolve_lock = threading.Lock()
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Client] = (
            weakref.WeakKeyDictionary()
        )
        self._connect_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def settings(self) -> TemporalSettings:
        return self._settings or temporal_settings()

    def configure(self, settings: TemporalSettings) -> None:
        """Use ``settings`` from now on; when they differ from the current ones, the next call resolves the
        server again and connects anew (clients already handed out keep working)."""
        set_sdk_log_level(settings.sdk_log_level)
        with self._resolve_lock:
            if settings == self._settings:
                return
            self._settings = settings
            self._server = None
        self._clients.clear()

    @property
    def data_converter(self) -> DataConverter:
        return self._data_converter

    def use_data_converter(self, data_converter: DataConverter) -> None:
        """Convert with ``data_converter`` from now on; clients already handed out keep theirs."""
        if data_converter is self._data_converter:
            return
        self._data_converter = data_converter
        self._clients.clear()

    def revive(self) -> bool:
        """Start the local server again if it is the one in use and has died (a worker recovering calls this);
        True when it did. Its ports are kept, so clients reconnect by themselves."""
        with self._resolve_lock:
            server = self._server
        if server is None or server.kind != "local":
            return False
        local = local_server(self.settings)
        if local.running() is not None:
            return False
        status = local.ensure()
        if status.address != server.address:
            with self._resolve_lock:
                self._server = None
            self._clients.clear()
        return True

    def server(self) -> ResolvedServer:
        """The server in use, resolving (and possibly starting) it on first call. Thread-safe."""
        with self._resolve_lock:
            if self._server is None:
                self._server = resolve_server(self.settings)
            return self._server

    async def get_client(self) -> Client:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is not None:
            return client
        lock = self._connect_locks.setdefault(loop, asyncio.Lock())
        async with lock:
            client = self._clients.get(loop)
            if client is None:
                server = await asyncio.to_thread(self.server)
                client = await self._connect_with_backoff(server)
                self._clients[loop] = client
            return client

    async def check_health(self, timeout: float = 5.0) -> HealthReport:
        """Ask the server for its system info; never raises for an unreachable server."""
        settings = self.settings
        try:
            server = await asyncio.to_thread(self.server)
        except Exception as error:  # noqa: BLE001 - reported, not raised
            address = settings.pinned_address or settings.default_address
            return HealthReport(False, "unresolved", address, settings.namespace, error=str(error))
        started = time.perf_counter()
        try:
            client = await self.get_client()
            info = await client.workflow_service.get_system_info(
                GetSystemInfoRequest(), timeout=timedelta(seconds=timeout)
            )
        except Exception as error:  # noqa: BLE001 - reported, not raised
            return HealthReport(
                False, server.kind, server.address, server.namespace, error=str(error)
            )
        latency = (time.perf_counter() - started) * 1000
        return HealthReport(
            True,
            server.kind,
            server.address,
            server.namespace,
            latency_ms=round(latency, 2),
            server_version=info.server_version or None,
        )

    async def close(self) -> None:
        """Forget the clients and the resolved server; the next call resolves again. The local server is left
        running: it outlives this process on purpose (``wfb server stop`` stops it)."""
        self.forget()

    def forget(self) -> None:
        self._clients.clear()
        with self._resolve_lock:
            self._server = None

    async def _connect_with_backoff(self, server: ResolvedServer) -> Client:
        settings = self.settings
        delay = self._initial_backoff
        reason = "no attempt made"
        for attempt in range(1, self._attempts + 1):
            try:
                return await Client.connect(
                    server.address,
                    runtime=sdk_runtime(),
                    namespace=server.namespace,
                    api_key=settings.api_key if server.kind == "pinned" else None,
                    tls=_tls(settings) if server.kind == "pinned" else False,
                    connect_timeout=timedelta(seconds=5),
                    data_converter=self._data_converter,
                )
            except Exception as error:  # noqa: BLE001 - retried, then reported with the address
                reason = _short_reason(error)
            if attempt < self._attempts:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_backoff)
        raise TemporalUnavailableError(server.address, self._attempts, reason)


def _tls(settings: TemporalSettings) -> TLSConfig | bool:
    """TLS for a cluster or Temporal Cloud: client certificate and CA files when given, else the system's."""
    if not settings.uses_tls:
        return False
    if not (settings.tls_cert or settings.tls_key or settings.tls_ca):
        return True

    def read(path: str | None) -> bytes | None:
        return Path(path).expanduser().read_bytes() if path else None

    return TLSConfig(
        client_cert=read(settings.tls_cert),
        client_private_key=read(settings.tls_key),
        server_root_ca_cert=read(settings.tls_ca),
    )


def _short_reason(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]


_connection = TemporalConnection()
# At exit, before the runtime thread stops (atexit runs newest first): the clients are let go while the
# interpreter is whole, so that the runtime's shutdown frees their native side instead of finalization.
atexit.register(_connection.forget)


def connection() -> TemporalConnection:
    """The process-wide connection manager."""
    return _connection


async def get_temporal_client() -> Client:
    return await _connection.get_client()


async def check_temporal_health() -> HealthReport:
    return await _connection.check_health()


async def close_temporal_connection() -> None:
    await _connection.close()


def current_server() -> ResolvedServer:
    return _connection.server()
