"""The run form: fields from the schema, validation, a real run followed live, signals, updates and queries."""

from __future__ import annotations

from typing import Any

from wfb_jupyter.widgets import RunForm
from wfb_jupyter.widgets._run_form_model import (
    form_fields,
    payload_template,
    read_values,
    status_html,
)

FORM = """\
input:
  customer: string
  amount: {type: number, minimum: 1, maximum: 1000}
  priority: {enum: [low, high], default: low}
  express: {type: boolean, default: false}
  tags: {type: array, items: string, default: []}
signals:
  decide: {payload: {approved: boolean}, set: {approved: "${signal.approved}"}}
queries:
  decision: ${vars.approved}
vars:
  approved: null
steps:
  - id: record
    call: echo
    with: {value: "${input.customer}"}
  - id: wait_for_decision
    wait_signal: decide
    timeout: 5m
output: {customer: "${input.customer}", approved: "${vars.approved}", priority: "${input.priority}"}
"""
SCHEMA = {
    "type": "object",
    "properties": {
        "customer": {"type": "string"},
        "amount": {"type": "number", "minimum": 1, "maximum": 1000},
        "priority": {"enum": ["low", "high"], "default": "low"},
        "express": {"type": "boolean", "default": False},
        "tags": {"type": "array", "items": {"type": "string"}, "default": []},
    },
    "required": ["customer", "amount"],
    "additionalProperties": False,
}


class TestModel:
    def test_controls_follow_the_schema(self) -> None:
        fields = {f.name: f for f in form_fields(SCHEMA)}
        assert {n: f.control for n, f in fields.items()} == {
            "customer": "text", "amount": "text", "priority": "dropdown",
            "express": "checkbox", "tags": "text",
        }  # fmt: skip
        assert (
            fields["amount"].label == "amount *"
            and fields["amount"].placeholder == "number (JSON) >= 1 <= 1000"
        )
        assert (
            fields["priority"].initial(),
            fields["express"].initial(),
            fields["tags"].initial(),
        ) == ("low", False, "[]")

    def test_values_are_read_and_checked(self) -> None:
        fields = form_fields(SCHEMA)
        raw = {
            "customer": "0042",
            "amount": "12.5",
            "priority": "high",
            "express": True,
            "tags": '["a"]',
        }
        assert read_values(fields, raw, SCHEMA) == (
            {
                "customer": "0042",
                "amount": 12.5,
                "priority": "high",
                "express": True,
                "tags": ["a"],
            },
            [],
        )
        values, problems = read_values(fields, {**raw, "customer": "", "amount": "5000"}, SCHEMA)
        assert problems == ["customer is required", "amount must be at most 1000"]

    def test_payload_template_and_escaped_status(self) -> None:
        assert (
            payload_template({"properties": {"approved": {"type": "boolean"}}})
            == '{"approved": false}'
        )

        class State:
            workflow_id, status, duration_ms, pending_activities = "<id>", "running", None, []
            progress = {"current_step": "<b>x</b>", "completed_steps": ["a"], "pending_steps": []}

        html = status_html(State())
        assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html and "&lt;id&gt;" in html


def test_invalid_input_is_refused_in_the_form(workspace: Any) -> None:
    workspace.settings.auto_start_worker = False
    workspace.build("order", FORM)
    form = RunForm(workspace, "order")
    form.inputs["amount"].value = "0"
    assert form.run() is None
    assert "Not started: customer is required; amount must be at least 1" in form.message.value
    assert workspace.runs.list() == []


def test_a_run_is_followed_live_steered_and_shows_its_result(workspace: Any) -> None:
    workspace.build("order", FORM)
    form = RunForm(workspace, "order", poll_interval=0.2)
    form.inputs["customer"].value = "ACME <corp>"
    form.inputs["amount"].value = "250"
    form.inputs["priority"].value = "high"
    form.run_button.click()
    assert form.execution is not None and form.poller is not None
    _wait_for(
        lambda: 'current step: <code class="wfb-current">wait_for_decision' in form.status.value
    )
    form.pause_button.value = True
    assert form.poller.paused and form.pause_button.description == "Resume updates"
    form.pause_button.value = False
    form.query_name.value = "decision"
    form.query_button.click()
    assert form.steer_message.value == "<b>decision</b>: <pre>null</pre>"
    assert form.signal_payload.value == '{"approved": false}'
    form.signal_payload.value = '{"approved": true}'
    form.signal_button.click()
    assert form.steer_message.value.endswith("Sent &#x27;decide&#x27;.</div>")
    state = form.wait(30)
    assert state.status == "completed"
    assert (
        "ACME &lt;corp&gt;" in form.outcome.value
        and "&quot;approved&quot;: true" in form.outcome.value
    )
    assert form.pause_button.disabled
    form.signal_button.click()
    assert "it has already completed" in form.steer_message.value


LIMITED = """\
input:
  amount: integer
vars:
  approver: null
updates:
  approve:
    payload: {by: string}
    validate: ${input.amount <= 1000}
    message: "${input.amount} is over the limit"
    set: {approver: "${update.by}"}
    result: {approved_by: "${vars.approver}"}
signals:
  done: {}
steps:
  - id: wait_for_done
    wait_signal: done
    timeout: 5m
output: ${vars.approver}
"""


def test_an_update_is_sent_from_the_form_and_its_answer_shown(workspace: Any) -> None:
    workspace.build("limited", LIMITED)
    form = RunForm(workspace, "limited", poll_interval=0.2)
    assert form.update_payload.value == '{"by": ""}'
    form.send_update()
    assert "Run the workflow first." in form.steer_message.value
    form.inputs["amount"].value = "1500"
    form.run_button.click()
    _wait_for(lambda: "wait_for_done" in form.status.value)
    form.update_payload.value = '{"by": "grace"}'
    outcome = form.send_update()
    assert outcome is not None and not outcome.accepted
    assert "1500 is over the limit" in form.steer_message.value
    assert "wfb-error" in form.steer_message.value
    form.update_payload.value = '{"by": 7}'
    assert form.send_update() is None
    assert (
        "was not sent" in form.steer_message.value
        and "by must be string" in form.steer_message.value
    )
    form.execution.terminate("done with the test")  # type: ignore[union-attr]

    form.inputs["amount"].value = "20"
    form.run_button.click()
    _wait_for(lambda: "wait_for_done" in form.status.value)
    form.update_payload.value = '{"by": "grace"}'
    form.update_button.click()
    assert form.steer_message.value == (
        "<b>approve</b> accepted: <pre>{\n  &quot;approved_by&quot;: &quot;grace&quot;\n}</pre>"
    )
    form.signal_button.click()
    assert form.wait(30).result == "grace"


def _wait_for(condition: Any, timeout: float = 30.0) -> None:
    import time

    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def test_a_refused_start_is_shown_in_the_form(workspace: Any) -> None:
    workspace.settings.auto_start_worker = False
    workspace.build("order", FORM)
    form = RunForm(workspace, "order")
    form.inputs["customer"].value = "ACME"
    form.inputs["amount"].value = "10"
    assert form.run() is None
    assert "no worker serves project" in form.message.value and "wfb-error" in form.message.value
    assert form.poller is None and form.pause_button.disabled
    form.signal_button.click()
    assert "Run the workflow first." in form.steer_message.value
