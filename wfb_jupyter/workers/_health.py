"""A small HTTP endpoint that says whether a sidecar worker serves, for container health checks and
orchestrators: ``GET /healthz`` (alive: serving, or reconnecting by itself) and ``GET /readyz`` (polling its task
queue now), 200 or 503, with the worker's status as JSON. Only GET, only these paths; anything else is 404."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from wfb_jupyter.storage import WorkerStatus

ALIVE = ("running", "reconnecting")
READY = ("running",)
_REQUEST_TIMEOUT = 5.0


def parse_address(text: str, default_host: str = "127.0.0.1") -> tuple[str, int]:
    """``PORT`` or ``HOST:PORT`` (``[::1]:PORT`` for IPv6); a ``ValueError`` that says what is wrong."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]") or default_host
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r} is not a port or HOST:PORT (a port is 1 to 65535)")
    return host, int(port)


class HealthServer:
    """Serves the health of what ``status`` returns (None: not started yet) until closed."""

    def __init__(self, status: Callable[[], WorkerStatus | None]) -> None:
        self._status = status
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> tuple[str, int]:
        self._server = await asyncio.start_server(self._answer, host, port)
        bound = self._server.sockets[0].getsockname()
        return str(bound[0]), int(bound[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), _REQUEST_TIMEOUT)
            method, path = (request.decode("latin-1").split() + ["", ""])[:2]
            code, body = self._respond(method, path.split("?", 1)[0])
            payload = json.dumps(body, default=_plain).encode()
            reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed"}.get(
                code, "Unavailable"
            )
            writer.write(
                f"HTTP/1.0 {code} {reason}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
        except (asyncio.TimeoutError, ConnectionError, UnicodeDecodeError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _respond(self, method: str, path: str) -> tuple[int, dict[str, Any]]:
        if path not in ("/healthz", "/readyz"):
            return 404, {"error": "not found: GET /healthz or /readyz"}
        if method != "GET":
            return 405, {"error": "only GET"}
        status = self._status()
        wanted = ALIVE if path == "/healthz" else READY
        state = status.status if status is not None else "starting"
        body: dict[str, Any] = {"status": state}
        if status is not None:
            body["worker"] = asdict(status)
        return (200 if state in wanted else 503), body


def _plain(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
