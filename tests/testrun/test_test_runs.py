"""``ws.tests.run``: a definition run once, unstored, on the time-skipping test server."""

from __future__ import annotations

import time
from typing import Any

import pytest

from wfb_jupyter.testrun import TestPlanError

LONG_WAIT = """\
name: long-approval
input:
  amount: integer
vars:
  approver: null
signals:
  approve: {payload: {by: string}, set: {approver: "${signal.by}"}}
updates:
  check:
    payload: {limit: integer}
    validate: ${input.amount <= update.limit}
    message: "${input.amount} is over ${update.limit}"
    result: ok
steps:
  - id: charge
    call: http_request
    with: {url: "https://payments.invalid/charge", method: POST}
  - id: cool_off
    sleep: 3d
  - id: note
    call: echo
    with: {value: "charged ${input.amount}"}
  - id: wait_for_approval
    wait_signal: approve
    timeout: 12h
  - id: refund
    when: ${steps.charge.result.status != 200}
    call: echo
    with: {value: refund}
output: {approver: "${vars.approver}", note: "${steps.note.result}"}
"""


def test_three_days_and_a_signal_at_twelve_hours_pass_at_once(workspace: Any) -> None:
    started = time.monotonic()
    report = workspace.tests.run(
        LONG_WAIT,
        {"amount": 250},
        mocks={"charge": {"status": 200}},
        signals=['approve@3d11h={"by": "ada"}'],
        updates=['check@1h={"limit": 100}', 'check@2h={"limit": 1000}'],
    )
    wall = time.monotonic() - started
    print(f"\n{report}\nwall time of the whole call: {wall:.2f} s")
    assert report.status == "completed"
    assert report.result == {"approver": "ada", "note": "charged 250"}
    assert [(s.run_id, s.status) for s in report.steps] == [
        ("charge", "mocked"), ("cool_off", "ran"), ("note", "ran"),
        ("wait_for_approval", "ran"), ("refund", "skipped"),
    ]  # fmt: skip
    assert report.step("charge").result == {"status": 200}
    assert report.step("wait_for_approval").result == {"by": "ada"}
    assert 3 * 86400 + 11 * 3600 <= report.simulated_seconds < 3 * 86400 + 12 * 3600
    assert report.messages == (
        ("update 'check' at +1h", "refused: 250 is over 100"),
        ("update 'check' at +2h", "accepted, answered 'ok'"),
        ("signal 'approve' at +3d 11h", "sent"),
    )
    assert workspace.versions.workflows() == [] and workspace.runs.list() == []  # nothing stored
    text = str(report)
    assert text.startswith("Test of 'long-approval' (not stored) on the time-skipping test server:")
    assert "simulated 3d 11h" in text and "refund" in text
    assert "<table>" in report._repr_html_()
    assert list(report.frame()["status"]) == ["mocked", "ran", "ran", "ran", "skipped"]


def test_a_signal_timeout_and_a_mocked_failure_take_their_paths(workspace: Any) -> None:
    timed_out = workspace.tests.run(LONG_WAIT, {"amount": 5}, mocks={"charge": {"status": 500}})
    assert timed_out.status == "failed"
    assert "timed out waiting for signal 'approve'" in (timed_out.error or "")
    assert timed_out.step("wait_for_approval").status == "failed"
    assert timed_out.step("refund").status == "not run"
    assert timed_out.simulated_seconds >= 3 * 86400 + 12 * 3600

    declined = workspace.tests.run(LONG_WAIT, {"amount": 5}, fails={"charge": "card declined"})
    assert declined.status == "failed" and "card declined" in (declined.error or "")
    assert declined.step("charge").status == "failed"
    assert declined.step("charge").error == "card declined (mocked)"
    assert [s.status for s in declined.steps[1:]] == ["not run"] * 4


HANDLED = """\
name: handled
steps:
  - id: fetch
    call: echo
    with: {value: fetched}
    on_error: {steps: [{id: fallback, call: echo, with: {value: cached}}]}
  - id: each
    for_each: [1, 2, 3]
    as: n
    steps:
      - id: square
        call: python_transform
        with: {expression: "data * data", data: "${n}"}
output: {fetch: "${steps.fetch.result}", fallback: "${steps.fallback.result}", each: "${steps.each.result}"}
"""


def test_on_error_paths_and_one_pinned_iteration(workspace: Any) -> None:
    report = workspace.tests.run(HANDLED, fails={"fetch": "service down"}, mocks={"square[1]": 40})
    assert report.status == "completed", report
    assert report.result["fallback"] == "cached"
    assert report.result["each"] == [1, 40, 9]
    statuses = {s.run_id: s.status for s in report.steps}
    assert statuses["fetch"] == "mocked" and statuses["fallback"] == "ran"
    assert (statuses["square[0]"], statuses["square[1]"], statuses["square[2]"]) == (
        "ran", "mocked", "ran",
    )  # fmt: skip


def test_a_component_that_does_not_return_is_stopped_at_the_timeout(workspace: Any) -> None:
    stuck = "name: stuck\nsteps:\n  - id: nap\n    call: sleep\n    with: {seconds: 120}\n"
    report = workspace.tests.run(stuck, timeout=2)
    assert report.status == "timed out"
    assert "did not finish in 2 s of wall time" in (report.error or "")
    assert report.step("nap").status == "failed"


def test_bad_plans_say_what_exists(workspace: Any) -> None:
    def refused(**plan: Any) -> str:
        with pytest.raises(TestPlanError) as raised:
            workspace.tests.run(LONG_WAIT, {"amount": 1}, **plan)
        return str(raised.value)

    assert refused(mocks={"charges": 1}) == (
        "--mock charges: the workflow has no step 'charges' "
        "(steps that can be mocked: charge, note, refund)"
    )
    assert "'cool_off' is a sleep step, which runs inside the workflow" in refused(
        mocks={"cool_off": 1}
    )
    assert refused(signals=["aprove@1h"]) == (
        "--signal aprove: the workflow declares no signal 'aprove' (signals: approve)"
    )
    assert refused(signals=["approve@soon"]).startswith("--signal 'approve@soon': invalid duration")
    assert (
        refused(signals=['approve@1h={"by": 3}'])
        == "--signal approve: by must be string, got a number"
    )
    assert refused(updates=["approve@1h"]).startswith(
        "--update approve: the workflow declares no update"
    )
    assert refused(timeout=0) == "--timeout 0: give 1 to 3600 seconds of wall time"
    assert refused(run_again=["nope"]).startswith("--run nope: no such step")
    with pytest.raises(Exception, match="amount is required"):
        workspace.tests.run(LONG_WAIT, {})


CHILD = """\
name: child-task
input: {n: integer}
steps:
  - id: double
    call: python_transform
    with: {expression: "data * 2", data: "${input.n}"}
output: ${steps.double.result}
"""
PARENT = """\
name: parent
steps:
  - id: first
    child_workflow: child-task.v1
    with: {n: 21}
  - id: second
    child_workflow: child-task.v1
    with: {n: 1}
output: ["${steps.first.result}", "${steps.second.result}"]
"""


def test_child_workflows_run_as_stored_or_as_pinned(workspace: Any) -> None:
    with pytest.raises(TestPlanError) as raised:
        workspace.tests.run(PARENT)
    assert str(raised.value) == (
        "step 'first' starts child workflow 'child-task.v1', which is not stored in this project: "
        "mock it (--mock first=RESULT) or build that workflow first"
    )
    pinned = workspace.tests.run(PARENT, mocks={"first": 1, "second": 2})
    assert pinned.status == "completed" and pinned.result == [1, 2]
    assert [s.status for s in pinned.steps] == ["mocked", "mocked"]
    with pytest.raises(TestPlanError, match="steps first, second all start 'child-task.v1'"):
        workspace.tests.run(PARENT, mocks={"first": 1})

    workspace.build(None, CHILD)
    real = workspace.tests.run(PARENT)
    assert real.status == "completed", real
    assert real.result == [42, 2]
    assert [s.status for s in real.steps] == ["ran", "ran"]


PIPELINE = """\
name: pipeline
steps:
  - id: extract
    call: python_transform
    with: {expression: "[1, 2, 3]"}
  - id: total
    call: python_transform
    with: {expression: "sum(data)", data: "${steps.extract.result}"}
  - id: report
    call: echo
    with: {value: "total ${steps.total.result}"}
output: ${steps.report.result}
"""


def test_mock_from_a_real_run_replays_it_and_runs_what_changed(workspace: Any) -> None:
    workspace.build(None, PIPELINE)
    execution = workspace.run("pipeline", wait=True, timeout=60)
    assert execution.outcome.result == "total 6"
    edited = PIPELINE.replace('"total ${steps.total.result}"', '"sum is ${steps.total.result}"')
    report = workspace.tests.run(edited, mock_from=execution.workflow_id)
    assert report.status == "completed" and report.result == "sum is 6"
    assert [(s.run_id, s.status) for s in report.steps] == [
        ("extract", "pinned"), ("total", "pinned"), ("report", "ran"),
    ]  # fmt: skip
    # A changed step re-runs the steps reading its result; --run forces one to run for real.
    upstream = PIPELINE.replace('"[1, 2, 3]"', '"[10, 20]"')
    report = workspace.tests.run(upstream, mock_from=execution.workflow_id)
    assert report.result == "total 30"
    assert [s.status for s in report.steps] == ["ran", "ran", "ran"]
    forced = workspace.tests.run(PIPELINE, mock_from=execution.workflow_id, run_again=["extract"])
    assert [s.status for s in forced.steps] == ["ran", "pinned", "pinned"]
    with pytest.raises(Exception, match="no execution|not found|unknown"):
        workspace.tests.run(PIPELINE, mock_from="pipeline-nope")
