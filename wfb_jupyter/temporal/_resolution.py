"""Which Temporal server to use when the user has not pinned one.

Order: a server that answers at the default address; else a ``temporal server start-dev`` sidecar when the CLI is
on PATH; else the embedded service. Servers this process starts are stopped when it exits.
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from typing import Literal

from wfb_jupyter.temporal._errors import ServerStartError
from wfb_jupyter.temporal._settings import TemporalSettings

ServerKind = Literal["pinned", "existing", "dev-server", "embedded"]

_DEV_SERVER_STARTUP_SECONDS = 30.0
_DEFAULT_UI_PORT_OFFSET = 1000  # the dev server's habit: gRPC on 7233, Web UI on 8233


@dataclass
class ResolvedServer:
    """The Temporal server in use and how it was chosen."""

    kind: ServerKind
    address: str
    namespace: str
    ui_url: str | None = None
    _stop: object = field(default=None, repr=False, compare=False)

    @property
    def durable(self) -> bool:
        return self.kind != "embedded"

    def describe(self) -> str:
        where = {
            "pinned": f"the Temporal server at {self.address} (TEMPORAL_ADDRESS)",
            "existing": f"the Temporal server already running at {self.address}",
            "dev-server": f"a `temporal server start-dev` sidecar at {self.address}",
            "embedded": (
                f"the embedded Temporal service at {self.address} "
                "(in memory, not durable: executions are lost when this process exits)"
            ),
        }[self.kind]
        ui = f"; Web UI: {self.ui_url}" if self.ui_url else "; no Web UI"
        return f"Using {where}, namespace {self.namespace!r}{ui}."

    def execution_url(self, workflow_id: str, run_id: str | None = None) -> str | None:
        """A link to one execution in the Temporal Web UI, when there is a UI."""
        if not self.ui_url:
            return None
        from urllib.parse import quote

        path = f"{self.ui_url}/namespaces/{quote(self.namespace, safe='')}/workflows/"
        path += quote(workflow_id, safe="")
        if run_id:
            path += f"/{quote(run_id, safe='')}"
        return path + "/history"

    def stop(self) -> None:
        """Stop a server this process started (no-op for servers it only connected to)."""
        stop, self._stop = self._stop, None
        if callable(stop):
            stop()


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"Temporal address {address!r} is not of the form host:port")
    return host.strip("[]"), int(port)


def port_answers(address: str, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections at ``address``; a cheap probe before a real connect."""
    try:
        host, port = split_address(address)
    except ValueError:
        return False
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def resolve_server(settings: TemporalSettings) -> ResolvedServer:
    if settings.pinned_address:
        return ResolvedServer(
            "pinned", settings.pinned_address, settings.namespace, settings.ui_url
        )
    if port_answers(settings.default_address):
        ui = settings.ui_url or _guess_ui_url(settings.default_address)
        return ResolvedServer("existing", settings.default_address, settings.namespace, ui)
    cli = shutil.which("temporal")
    if cli:
        return start_dev_server(cli, settings)
    return start_embedded_server(settings)


def start_dev_server(cli: str, settings: TemporalSettings) -> ResolvedServer:
    host, port = split_address(settings.default_address)
    ui_port = port + _DEFAULT_UI_PORT_OFFSET
    command = [
        cli, "server", "start-dev", "--ip", host, "--port", str(port),
        "--ui-port", str(ui_port), "--namespace", settings.namespace, "--log-level", "warn",
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 - the CLI found on PATH, fixed arguments
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + _DEV_SERVER_STARTUP_SECONDS
    while not port_answers(settings.default_address, timeout=0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            _terminate(process)
            detail = (process.stderr.read() if process.stderr else "").strip()[-500:]
            raise ServerStartError(
                f"`{' '.join(command)}` did not start a server at {settings.default_address}"
                + (f": {detail}" if detail else "")
            )
        time.sleep(0.1)

    def stop() -> None:
        _terminate(process)

    atexit.register(stop)
    return ResolvedServer(
        "dev-server",
        settings.default_address,
        settings.namespace,
        settings.ui_url or f"http://{host}:{ui_port}",
        _stop=stop,
    )


def start_embedded_server(settings: TemporalSettings) -> ResolvedServer:
    from wfb_jupyter.temporal.embedded import start_background_service

    try:
        service = start_background_service()
    except Exception as error:  # noqa: BLE001 - reported with its cause
        raise ServerStartError(f"the embedded Temporal service did not start: {error}") from error
    atexit.register(service.stop)
    return ResolvedServer("embedded", service.address, settings.namespace, None, _stop=service.stop)


def _guess_ui_url(address: str) -> str:
    host, port = split_address(address)
    return f"http://{host}:{port + _DEFAULT_UI_PORT_OFFSET}"


def _terminate(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
