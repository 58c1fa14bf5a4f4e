"""The schedule panel: the project's schedules (when each fires, its version, state and next fire time), and
pause, resume, trigger and delete for the one chosen. It refreshes after every action and on demand."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from wfb_jupyter.widgets._common import error_html, error_text, html_table, note_html

if TYPE_CHECKING:
    from wfb_jupyter._workspace import Workspace

# What each button does to the chosen schedule, and what the panel says once it did.
_ACTIONS: dict[str, tuple[str, str]] = {
    "Pause": ("pause", "paused"),
    "Resume": ("resume", "resumed"),
    "Trigger": ("trigger", "triggered: a run starts now, the project's worker records it"),
    "Delete": ("delete", "deleted (runs it started go on)"),
}


class SchedulePanel(w.VBox):
    def __init__(self, workspace: Workspace) -> None:
        from wfb_jupyter.services import SCHEDULE_COLUMNS

        self.workspace = workspace
        self.columns = SCHEDULE_COLUMNS
        self.table = w.HTML()
        self.table.add_class("wfb-schedule-table")
        self.choice = w.Dropdown(options=[], description="Schedule")
        self.message = w.HTML()
        self.buttons = {label: w.Button(description=label) for label in _ACTIONS}
        for label, button in self.buttons.items():
            button.on_click(lambda _, label=label: self.act(label))
        refresh = w.Button(description="Refresh", icon="refresh")
        refresh.on_click(lambda _: self.refresh())
        title = w.HTML(f"<b>Schedules of project {workspace.projects.current().name!r}</b>")
        super().__init__(
            [
                title,
                self.table,
                w.HBox([self.choice, *self.buttons.values(), refresh]),
                self.message,
            ]
        )
        self.add_class("wfb-schedule-panel")
        self.refresh()

    def refresh(self) -> None:
        try:
            listed = self.workspace.schedules.list()
        except Exception as error:  # noqa: BLE001 - shown in the panel
            self.message.value = error_html(error_text(error))
            return
        names = [info.workflow for info in listed]
        chosen = self.choice.value
        self.choice.options = names
        self.choice.value = chosen if chosen in names else (names[0] if names else None)
        for button in self.buttons.values():
            button.disabled = not names
        if not listed:
            self.table.value = note_html("No schedules in this project yet.")
            return
        rows = [info.row() for info in listed]
        problems = [f"{info.workflow}: {info.problem}" for info in listed if info.problem]
        self.table.value = html_table(self.columns, rows) + (
            note_html("\n".join(problems)) if problems else ""
        )

    def act(self, label: str) -> None:
        """Pause, resume, trigger or delete the chosen schedule, say how it went, and refresh."""
        name = self.choice.value
        if not name:
            self.message.value = error_html("There is no schedule to act on.")
            return
        method, done = _ACTIONS[label]
        action: Callable[[str], Any] = getattr(self.workspace.schedules, method)
        try:
            action(name)
        except Exception as error:  # noqa: BLE001 - shown in the panel
            self.message.value = error_html(error_text(error))
        else:
            self.message.value = note_html(f"{name}: {done}.")
        self.refresh()
