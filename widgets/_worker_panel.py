"""The worker panel: the project's workers (status, heartbeat age, loaded versions) with start, stop and
restart. ``worker_rows`` is the logic; the panel refreshes it after every action and on demand."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from wfb_jupyter.widgets._common import error_html, error_text, html_table, note_html
from wfb_jupyter.widgets._poller import StatusPoller

if TYPE_CHECKING:
    from wfb_jupyter._workspace import Workspace


WORKER_COLUMNS = ["mode", "status", "pid", "host", "heartbeat", "serves", "error"]


def worker_rows(statuses: list[Any]) -> list[list[str]]:
    rows = []
    for status in statuses:
        age = status.heartbeat_age_seconds
        rows.append([
            status.mode,
            status.status,
            str(status.pid),
            status.host,
            f"{age:.0f}s ago" if age is not None else "never",
            ", ".join(status.loaded_versions) or "-",
            status.error or "",
        ])  # fmt: skip
    return rows


class WorkerPanel(w.VBox):
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.table = w.HTML()
        self.table.add_class("wfb-worker-table")
        self.message = w.HTML()
        self.sidecar = w.Checkbox(
            value=workspace.settings.worker_mode == "sidecar", description="sidecar", indent=False
        )
        buttons = {
            "Start": lambda: self.workspace.workers.start(sidecar=self.sidecar.value),
            "Stop": lambda: self.workspace.workers.stop(sidecar=self.sidecar.value),
            "Restart": self.workspace.workers.restart,
        }
        self.buttons = {label: w.Button(description=label) for label in buttons}
        for label, button in self.buttons.items():
            button.on_click(lambda _, action=buttons[label], label=label: self.act(label, action))
        refresh = w.Button(description="Refresh", icon="refresh")
        refresh.on_click(lambda _: self.refresh())
        # Live updates (heartbeat ages, a sidecar appearing) while switched on; off by default.
        self.live = w.ToggleButton(description="Live", value=False, icon="heartbeat")
        self.live.observe(lambda change: self.set_live(change["new"]), names="value")
        self.poller: StatusPoller[list[list[str]]] | None = None
        title = w.HTML(f"<b>Workers of project {workspace.projects.current().name!r}</b>")
        super().__init__(
            [
                title,
                self.table,
                w.HBox([*self.buttons.values(), self.sidecar, refresh, self.live]),
                self.message,
            ]
        )
        self.add_class("wfb-worker-panel")
        self.refresh()

    def refresh(self) -> None:
        try:
            rows = worker_rows(self.workspace.workers.list())
        except Exception as error:  # noqa: BLE001 - shown in the panel
            self.message.value = error_html(error_text(error))
            return
        self.show(rows)

    def show(self, rows: list[list[str]]) -> None:
        self.table.value = (
            html_table(WORKER_COLUMNS, rows) if rows
            else note_html("No worker serves this project. Start one.")
        )  # fmt: skip

    def set_live(self, live: bool) -> None:
        """Refresh every few seconds while ``live`` (a heartbeat's age is worth watching, not polling hard)."""
        if self.poller is not None:
            self.poller.stop()
            self.poller = None
        if live:
            self.poller = StatusPoller(
                lambda: worker_rows(self.workspace.workers.list()),
                self.show,
                is_final=lambda _rows: False,
                on_error=lambda error: setattr(
                    self.message, "value", error_html(error_text(error))
                ),
                interval=max(1.0, self.workspace.settings.poll_interval * 2),
            ).start()

    def act(self, label: str, action: Callable[[], Any]) -> None:
        """Run a start/stop/restart, say how it went, and refresh the table."""
        self.message.value = note_html(f"{label}…")
        try:
            action()
        except Exception as error:  # noqa: BLE001 - shown in the panel
            self.message.value = error_html(error_text(error))
        else:
            self.message.value = note_html(f"{label}: done.")
        self.refresh()
