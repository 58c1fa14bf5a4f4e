"""Version history: every version with its date and checksum, a side-by-side diff of the generated code, and
activate/rollback behind a confirmation. ``ActivationRequest`` holds the confirmation logic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import ipywidgets as w

from wfb_jupyter.widgets._common import error_html, error_text, html_table, note_html

if TYPE_CHECKING:
    from wfb_jupyter._workspace import Workspace


@dataclass(frozen=True)
class ActivationRequest:
    """An activation waiting for the user's confirmation."""

    workflow: str
    version: int
    active: int | None

    def question(self) -> str:
        if self.active == self.version:
            return f"v{self.version} is already active."
        verb = "Roll back" if self.active is not None and self.version < self.active else "Activate"
        return (
            f"{verb} {self.workflow!r} to v{self.version} (active now: v{self.active})? New executions will "
            "use it; running ones finish on their own version."
        )

    @property
    def needed(self) -> bool:
        return self.active != self.version


class VersionHistory(w.VBox):
    def __init__(self, workspace: Workspace, name: str) -> None:
        from wfb_jupyter.services import VERSION_COLUMNS

        self.workspace = workspace
        self.name = name
        self._columns = VERSION_COLUMNS
        self.table = w.HTML()
        self.old = w.Dropdown(description="from")
        self.new = w.Dropdown(description="to")
        self.which = w.Dropdown(
            options=["workflow", "activities", "worker", "definition"], description="code"
        )
        self.diff_button = w.Button(description="Diff", icon="columns")
        self.diff = w.HTML()
        self.diff.add_class("wfb-diff-area")
        self.target = w.Dropdown(description="version")
        self.activate_button = w.Button(description="Activate…", button_style="warning")
        self.confirm_button = w.Button(
            description="Confirm", button_style="danger", layout=w.Layout(display="none")
        )
        self.cancel_button = w.Button(description="Cancel", layout=w.Layout(display="none"))
        self.message = w.HTML()
        self.pending: ActivationRequest | None = None
        self.diff_button.on_click(lambda _: self.show_diff())
        self.activate_button.on_click(lambda _: self.request_activation())
        self.confirm_button.on_click(lambda _: self.confirm())
        self.cancel_button.on_click(lambda _: self.cancel())
        super().__init__([
            w.HTML(f"<b>Versions of {name!r}</b>"), self.table,
            w.HBox([self.old, self.new, self.which, self.diff_button]), self.diff,
            w.HBox([self.target, self.activate_button, self.confirm_button, self.cancel_button]),
            self.message,
        ])  # fmt: skip
        self.add_class("wfb-version-history")
        self.refresh()

    def refresh(self) -> None:
        versions = self.workspace.versions.list(self.name)
        self.table.value = html_table(self._columns, [v.row() for v in versions])
        numbers = [v.version for v in versions]
        self.active = next((v.version for v in versions if v.active), None)
        for dropdown in (self.old, self.new, self.target):
            dropdown.options = [(f"v{n}", n) for n in numbers]
        if numbers:
            self.old.value = numbers[-2] if len(numbers) > 1 else numbers[-1]
            self.new.value = numbers[-1]
            self.target.value = self.active or numbers[-1]

    def show_diff(self) -> None:
        try:
            diff = self.workspace.versions.diff(
                self.name, self.old.value, self.new.value, self.which.value
            )
        except Exception as error:  # noqa: BLE001 - shown in the widget
            self.diff.value = error_html(error_text(error))
            return
        summary = note_html(diff.summary())
        self.diff.value = summary + (
            diff.html() if diff.changed else note_html(str(diff).split("\n\n")[-1])
        )

    def request_activation(self) -> ActivationRequest:
        self.pending = ActivationRequest(self.name, self.target.value, self.active)
        self.message.value = note_html(self.pending.question())
        self._confirming(self.pending.needed)
        return self.pending

    def confirm(self) -> None:
        request, self.pending = self.pending, None
        self._confirming(False)
        if request is None or not request.needed:
            return
        try:
            self.workspace.versions.activate(request.workflow, request.version)
        except Exception as error:  # noqa: BLE001 - shown in the widget
            self.message.value = error_html(error_text(error))
            return
        self.message.value = note_html(f"v{request.version} is now active.")
        self.refresh()

    def cancel(self) -> None:
        self.pending = None
        self._confirming(False)
        self.message.value = note_html("Nothing changed.")

    def _confirming(self, asking: bool) -> None:
        self.confirm_button.layout.display = None if asking else "none"
        self.cancel_button.layout.display = None if asking else "none"
        self.activate_button.disabled = asking
