"""The run form: inputs generated from the workflow's input schema, a Run button, live status with a pause
control, signal, update and query controls, and the result or error. Logic lives in ``_run_form_model``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as w

from wfb_jupyter.widgets._common import error_html, error_text, escape, note_html, show_value
from wfb_jupyter.widgets._graph import workflow_graph_svg
from wfb_jupyter.widgets._poller import StatusPoller
from wfb_jupyter.widgets._run_form_model import (
    FormField,
    form_fields,
    is_final,
    outcome_html,
    parse_payload,
    payload_template,
    read_values,
    status_html,
)

if TYPE_CHECKING:
    from wfb_jupyter._workspace import Workspace
    from wfb_jupyter.services import ExecutionHandle


class RunForm(w.VBox):
    """Start and follow executions of one workflow (its active version, or ``version``)."""

    def __init__(
        self,
        workspace: Workspace,
        name: str,
        *,
        version: int | None = None,
        poll_interval: float | None = None,
    ) -> None:
        self.workspace = workspace
        self.name = name
        self.version = version
        manifest = workspace.versions.manifest(name, version)
        self.schema: dict[str, Any] = manifest.get("input_schema", {})
        self.fields: list[FormField] = form_fields(self.schema)
        self.signals: dict[str, Any] = dict(manifest.get("signals", {}))
        self.updates: dict[str, Any] = dict(manifest.get("updates", {}))
        self.queries: list[str] = list(manifest.get("queries", []))
        self.poll_interval = poll_interval or workspace.settings.poll_interval
        self.execution: ExecutionHandle | None = None
        self.poller: StatusPoller[Any] | None = None
        self.last_state: Any = None

        self.inputs = {field.name: _control(field) for field in self.fields}
        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.run_button.add_class("wfb-run-button")
        self.pause_button = w.ToggleButton(description="Pause updates", value=False, disabled=True)
        self.message = w.HTML()
        self.status = w.HTML(note_html("Not started."))
        self.status.add_class("wfb-status-area")
        self.outcome = w.HTML()
        self.outcome.add_class("wfb-outcome")
        self.link = w.HTML()
        self.definition = workspace.versions.code(name, manifest.get("version"), "definition")
        self.graph = w.HTML(_graph_html(workflow_graph_svg(self.definition)))
        self.graph.add_class("wfb-run-graph")
        self.run_button.on_click(lambda _: self.run())
        self.pause_button.observe(lambda change: self.set_paused(change["new"]), names="value")

        title = w.HTML(
            f"<b>{escape(name)}</b> v{manifest.get('version')}"
            + (
                f" &mdash; {escape(manifest.get('description'))}"
                if manifest.get("description")
                else ""
            )
        )
        rows = [
            w.HBox([w.Label(f.label, layout=w.Layout(width="140px")), self.inputs[f.name]])
            for f in self.fields
        ]
        if not rows:
            rows = [w.HTML(note_html("This workflow takes no input."))]
        super().__init__(
            [
                title,
                *rows,
                w.HBox([self.run_button, self.pause_button]),
                self.message,
                self.status,
                self.link,
                *self._steering_controls(),
                self.outcome,
                self.graph,
            ]  # fmt: skip
        )
        self.add_class("wfb-run-form")

    # -- actions (the callbacks call these; tests call them directly) ---------------------------------------

    def values(self) -> tuple[dict[str, Any], list[str]]:
        raw = {name: control.value for name, control in self.inputs.items()}
        return read_values(self.fields, raw, self.schema)

    def run(self) -> ExecutionHandle | None:
        """Validate the inputs and start an execution; returns its handle, or None when refused."""
        values, problems = self.values()
        if problems:
            self.message.value = error_html("Not started: " + "; ".join(problems))
            return None
        self.stop_updates()
        self.message.value = ""
        self.outcome.value = ""
        try:
            execution = self.execution = self.workspace.run(self.name, values, version=self.version)
        except Exception as error:  # noqa: BLE001 - shown in the form
            self.message.value = error_html(error_text(error))
            return None
        self.status.value = note_html(f"Started {execution.workflow_id} (v{execution.version}).")
        link = execution.link
        self.link.value = (
            f'<a href="{escape(link)}" target="_blank">Open in the Temporal Web UI</a>'
            if link
            else ""
        )
        self.pause_button.disabled = False
        self.pause_button.value = False
        self.poller = StatusPoller(
            execution.status,
            self.show_state,
            is_final=is_final,
            on_error=lambda error: setattr(self.message, "value", error_html(error_text(error))),
            interval=self.poll_interval,
        ).start()
        return execution

    def show_state(self, state: Any) -> None:
        self.last_state = state
        self.status.value = status_html(state)
        self.outcome.value = outcome_html(state)
        self.draw_graph(state)
        if is_final(state):
            self.pause_button.disabled = True

    def draw_graph(self, state: Any = None) -> None:
        """The graph coloured by where the run is (the last status read, unless it has ended)."""
        if self.execution is None:
            return
        try:
            drawn = self.execution.graph(state)
        except Exception as error:  # noqa: BLE001 - the graph is a view; the status above still stands
            self.graph.value = note_html(f"The graph could not be drawn: {error_text(error)}")
            return
        svg = workflow_graph_svg(
            drawn.definition_source, states=drawn.steps, run_status=drawn.status
        )
        self.graph.value = _graph_html(svg)

    def set_paused(self, paused: bool) -> None:
        if self.poller is None:
            return
        if paused:
            self.poller.pause()
            self.pause_button.description = "Resume updates"
        else:
            self.poller.resume()
            self.pause_button.description = "Pause updates"

    def stop_updates(self) -> None:
        if self.poller is not None:
            self.poller.stop()

    def wait(self, timeout: float = 60.0) -> Any:
        """Block until live status saw the run end (scripts and tests); returns the last state."""
        if self.poller is not None:
            self.poller.join(timeout)
        return self.last_state

    def send_signal(self) -> None:
        if self.execution is None:
            self.steer_message.value = error_html("Run the workflow first.")
            return
        try:
            payload = parse_payload(self.signal_payload.value)
            self.execution.signal(self.signal_name.value, payload)
        except ValueError as error:
            self.steer_message.value = error_html(str(error))
            return
        except Exception as error:  # noqa: BLE001 - shown in the form
            self.steer_message.value = error_html(error_text(error))
            return
        self.steer_message.value = note_html(f"Sent {self.signal_name.value!r}.")

    def send_update(self) -> Any:
        """Send the chosen update and show the answer: its result, or the workflow's reason for refusing."""
        if self.execution is None:
            self.steer_message.value = error_html("Run the workflow first.")
            return None
        name = self.update_name.value
        try:
            outcome = self.execution.update(name, parse_payload(self.update_payload.value))
        except ValueError as error:
            self.steer_message.value = error_html(str(error))
            return None
        except Exception as error:  # noqa: BLE001 - shown in the form
            self.steer_message.value = error_html(error_text(error))
            return None
        if outcome.accepted:
            self.steer_message.value = (
                f"<b>{escape(name)}</b> accepted: <pre>{escape(show_value(outcome.result))}</pre>"
            )
        else:
            self.steer_message.value = error_html(f"{name!r} refused: {outcome.message}")
        return outcome

    def ask_query(self) -> None:
        if self.execution is None:
            self.steer_message.value = error_html("Run the workflow first.")
            return
        try:
            answer = self.execution.query(self.query_name.value)
        except Exception as error:  # noqa: BLE001 - shown in the form
            self.steer_message.value = error_html(error_text(error))
            return
        self.steer_message.value = (
            f"<b>{escape(self.query_name.value)}</b>: <pre>{escape(show_value(answer))}</pre>"
        )

    # -- layout ---------------------------------------------------------------------------------------------

    def _steering_controls(self) -> list[w.Widget]:
        self.steer_message = w.HTML()
        self.signal_name = w.Dropdown(options=sorted(self.signals), description="Signal")
        self.signal_payload = w.Textarea(
            placeholder="payload (JSON)", layout=w.Layout(width="360px", height="56px")
        )
        self.signal_button = w.Button(description="Send signal", icon="paper-plane")
        self.update_name = w.Dropdown(options=sorted(self.updates), description="Update")
        self.update_payload = w.Textarea(
            placeholder="payload (JSON)", layout=w.Layout(width="360px", height="56px")
        )
        self.update_button = w.Button(description="Send update", icon="check")
        self.query_name = w.Dropdown(options=self.queries, description="Query")
        self.query_button = w.Button(description="Ask", icon="question")
        self.signal_button.on_click(lambda _: self.send_signal())
        self.update_button.on_click(lambda _: self.send_update())
        self.query_button.on_click(lambda _: self.ask_query())
        self.signal_name.observe(lambda _: self._fill_payload(), names="value")
        self.update_name.observe(lambda _: self._fill_payload(), names="value")
        self._fill_payload()
        rows: list[w.Widget] = []
        if self.signals:
            rows.append(w.HBox([self.signal_name, self.signal_payload, self.signal_button]))
        if self.updates:
            rows.append(w.HBox([self.update_name, self.update_payload, self.update_button]))
        rows.append(w.HBox([self.query_name, self.query_button]))
        rows.append(self.steer_message)
        return rows

    def _fill_payload(self) -> None:
        self.signal_payload.value = payload_template(self.signals.get(self.signal_name.value) or {})
        self.update_payload.value = payload_template(self.updates.get(self.update_name.value) or {})


def _graph_html(svg: str) -> str:
    return f'<div style="overflow:auto">{svg}</div>'


def _control(field: FormField) -> w.Widget:
    tooltip = field.description or None
    if field.control == "checkbox":
        control: w.Widget = w.Checkbox(value=field.initial(), indent=False, tooltip=tooltip)
    elif field.control == "dropdown":
        control = w.Dropdown(options=list(field.enum or ()), value=field.initial(), tooltip=tooltip)
    else:
        control = w.Text(value=field.initial(), placeholder=field.placeholder, tooltip=tooltip)
    control.add_class(f"wfb-input-{field.name}")
    return control
