"""Which Temporal server to use.

1. ``pinned``: the address the user gave (``TEMPORAL_ADDRESS`` / ``WfbSettings.temporal_address``): a cluster,
   Temporal Cloud, or any server.
2. ``local``: the managed local server of the data directory, when it already runs (it holds this user's
   history, so it comes before a server found by chance).
3. ``existing``: a Temporal server that answers at the default address (``localhost:7233``, say a
   ``temporal server start-dev`` of the user's own).
4. ``local`` again: otherwise the managed local server is started (or started again, with its history).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from wfb_jupyter.settings import TemporalSettings
from wfb_jupyter.temporal._local_server import LocalServer, LocalServerStatus
from wfb_jupyter.temporal._probe import probe, split_address

ServerKind = Literal["pinned", "existing", "local"]

_UI_PORT_OFFSET = 1000  # the habit of Temporal's own tools: gRPC on 7233, Web UI on 8233
_CLOUD_UI = "https://cloud.temporal.io"


@dataclass(frozen=True)
class ResolvedServer:
    """The Temporal server in use and how it was chosen."""

    kind: ServerKind
    address: str
    namespace: str
    ui_url: str | None = None
    local: LocalServerStatus | None = None
    note: str | None = None

    def describe(self) -> str:
        where = {
            "pinned": f"the Temporal server at {self.address} (TEMPORAL_ADDRESS)",
            "existing": f"the Temporal server already running at {self.address} (the default address)",
            "local": f"the local Temporal server at {self.address}",
        }[self.kind]
        if self.local is not None:
            how = "started now" if self.local.started_now else "running"
            where += f" ({how}; data in {self.local.directory})"
        ui = f"; Web UI: {self.ui_url}" if self.ui_url else ""
        note = f" Note: {self.note}." if self.note else ""
        return f"Using {where}, namespace {self.namespace!r}{ui}.{note}"

    def execution_url(self, workflow_id: str, run_id: str | None = None) -> str | None:
        """A link to one execution in the Temporal Web UI, when there is a UI."""
        if not self.ui_url:
            return None
        path = f"{self.ui_url}/namespaces/{quote(self.namespace, safe='')}/workflows/"
        path += quote(workflow_id, safe="")
        if run_id:
            path += f"/{quote(run_id, safe='')}"
        return path + "/history"

    def schedule_url(self, schedule_id: str) -> str | None:
        """A link to one schedule in the Temporal Web UI, when there is a UI."""
        if not self.ui_url:
            return None
        namespace = quote(self.namespace, safe="")
        return f"{self.ui_url}/namespaces/{namespace}/schedules/{quote(schedule_id, safe='')}"

    def workflows_url(self, query: str | None = None) -> str | None:
        """The Web UI's workflow list, optionally filtered by a visibility query."""
        if not self.ui_url:
            return None
        url = f"{self.ui_url}/namespaces/{quote(self.namespace, safe='')}/workflows"
        return url + (f"?query={quote(query, safe='')}" if query else "")


def local_server(settings: TemporalSettings) -> LocalServer:
    return LocalServer(
        settings.local_data_dir,
        cli=settings.cli_path,
        port=settings.local_port,
        namespace=settings.namespace,
    )


def resolve_server(settings: TemporalSettings) -> ResolvedServer:
    if settings.pinned_address:
        split_address(settings.pinned_address)  # a malformed address is refused here, clearly
        ui = _ui_url(settings, guessed=guess_ui_url(settings.pinned_address))
        return ResolvedServer("pinned", settings.pinned_address, settings.namespace, ui)
    local = local_server(settings)
    running = local.running(wait=5.0)
    if running is not None:
        return _local(settings, running)
    found = probe(settings.default_address, timeout=1.0)
    if found.temporal:
        ui = _ui_url(settings, guessed=guess_ui_url(settings.default_address))
        return ResolvedServer("existing", settings.default_address, settings.namespace, ui)
    note = None
    if found.answer == "other":
        note = f"something that is not Temporal listens at {settings.default_address}; it is left alone"
    return _local(settings, local.ensure(), note)


def _local(
    settings: TemporalSettings, status: LocalServerStatus, note: str | None = None
) -> ResolvedServer:
    assert status.address is not None
    notes = "; ".join(n for n in (status.note, note) if n) or None
    ui = _ui_url(settings, guessed=status.ui_url)
    return ResolvedServer("local", status.address, settings.namespace, ui, status, notes)


def _ui_url(settings: TemporalSettings, *, guessed: str | None) -> str | None:
    if settings.ui_url:
        return None if settings.ui_url.lower() in ("off", "none") else settings.ui_url.rstrip("/")
    return guessed


def guess_ui_url(address: str) -> str:
    """The Web UI of a server, by habit: Temporal Cloud's console, else the gRPC port plus 1000."""
    host, port = split_address(address)
    if host.endswith(".tmprl.cloud"):
        return _CLOUD_UI
    return f"http://{host}:{port + _UI_PORT_OFFSET}"
