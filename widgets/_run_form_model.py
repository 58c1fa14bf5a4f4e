"""The run form's logic, apart from any widget: fields from the input schema, reading and checking what the
user typed, and how an execution's state reads. The view (``_run_form.py``) only wires widgets to this."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wfb_jupyter.widgets._common import escape, show_value

# How each schema type is entered: a checkbox, a dropdown for enums, text (JSON for non-strings) otherwise.
TEXT_TYPES = ("string",)


@dataclass(frozen=True)
class FormField:
    name: str
    type: str
    required: bool
    default: Any = None
    has_default: bool = False
    enum: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""

    @property
    def control(self) -> str:
        """Which control edits it: ``checkbox``, ``dropdown`` or ``text``."""
        if self.enum is not None:
            return "dropdown"
        if self.type == "boolean":
            return "checkbox"
        return "text"

    @property
    def label(self) -> str:
        return f"{self.name}{' *' if self.required else ''}"

    @property
    def placeholder(self) -> str:
        kind = self.type if self.type in TEXT_TYPES else f"{self.type} (JSON)"
        bounds = []
        if self.minimum is not None:
            bounds.append(f">= {self.minimum:g}")
        if self.maximum is not None:
            bounds.append(f"<= {self.maximum:g}")
        return " ".join([kind, *bounds])

    def initial(self) -> Any:
        """The control's starting value: the default, shown as the user would type it."""
        if self.control == "checkbox":
            return bool(self.default) if self.has_default else False
        if self.control == "dropdown":
            return self.default if self.has_default else self.enum[0] if self.enum else None
        if not self.has_default or self.default is None:
            return ""
        return self.default if self.type == "string" else json.dumps(self.default)


def form_fields(schema: Mapping[str, Any]) -> list[FormField]:
    required = set(schema.get("required", []))
    fields = []
    for name, spec in schema.get("properties", {}).items():
        fields.append(
            FormField(
                name=name,
                type=spec.get("type", "any"),
                required=name in required,
                default=spec.get("default"),
                has_default="default" in spec,
                enum=tuple(spec["enum"]) if "enum" in spec else None,
                minimum=spec.get("minimum"),
                maximum=spec.get("maximum"),
                description=spec.get("description", ""),
            )
        )
    return fields


def read_values(
    fields: list[FormField], raw: Mapping[str, Any], schema: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The inputs the user entered (empty optional fields left out) and every problem with them."""
    from wfb_jupyter.compiler import validate_input
    from wfb_jupyter.services import coerce_form_value

    values: dict[str, Any] = {}
    for field in fields:
        value = raw.get(field.name)
        if field.control == "text":
            value = coerce_form_value(str(value or ""), {"type": field.type})
        if value is None:
            continue
        values[field.name] = value
    return values, validate_input(schema, values)


def payload_template(payload_schema: Mapping[str, Any]) -> str:
    """A JSON payload to start editing from: each field with its default or an empty value of its type."""
    empty = {"string": "", "number": 0, "integer": 0, "boolean": False, "object": {}, "array": []}
    template = {
        name: spec.get("default", empty.get(spec.get("type", "")))
        for name, spec in payload_schema.get("properties", {}).items()
    }
    return json.dumps(template) if template else ""


def parse_payload(text: str) -> Any:
    """A signal payload typed as JSON; empty means none."""
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError as error:
        raise ValueError(f"the payload is not JSON: {error}") from None


FINAL_STATES = ("completed", "failed", "cancelled", "terminated", "timed_out", "continued_as_new")


def is_final(state: Any) -> bool:
    return getattr(state, "status", "running") in FINAL_STATES


def status_html(state: Any) -> str:
    """Status, current step and the steps done and to do, for the live status area."""
    progress = getattr(state, "progress", None) or {}
    colour = {"completed": "#1b5e20", "running": "#0d47a1"}.get(state.status, "#b00020")
    parts = [
        f'<div class="wfb-status"><b>{escape(state.workflow_id)}</b>: '
        f'<span class="wfb-status-value" style="color:{colour}">{escape(state.status)}</span>'
    ]
    if state.status == "running" and progress.get("current_step"):
        parts.append(
            f'<br>current step: <code class="wfb-current">{escape(progress["current_step"])}</code>'
        )
    for label, key in (("completed", "completed_steps"), ("pending", "pending_steps")):
        steps = progress.get(key) or []
        if steps:
            parts.append(f"<br>{label}: " + ", ".join(f"<code>{escape(s)}</code>" for s in steps))
    for activity in getattr(state, "pending_activities", None) or []:
        failure = activity.get("last_failure")
        attempt = f" (attempt {activity.get('attempt')}" + (
            f", last failure: {failure})" if failure else ")"
        )
        parts.append(
            f"<br>activity <code>{escape(activity.get('activity_type'))}</code>{escape(attempt)}"
        )
    if getattr(state, "duration_ms", None) is not None:
        parts.append(f"<br>duration: {state.duration_ms / 1000:.2f}s")
    parts.append("</div>")
    return "".join(parts)


def outcome_html(state: Any) -> str:
    """The result of a completed run, or why it did not complete; empty while it runs."""
    if state.status == "completed":
        return f'<div class="wfb-result"><b>Result</b><pre>{escape(show_value(state.result))}</pre></div>'
    if is_final(state):
        reason = getattr(state, "error", None) or state.status
        return f'<div class="wfb-outcome-error" style="color:#b00020"><b>{escape(state.status)}</b>: {escape(reason)}</div>'
    return ""
