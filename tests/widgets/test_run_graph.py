"""A run drawn on its workflow's graph: step states from the progress query and the recorded attempts, and
the graph coloured live in the run form and by ``%wfb status --graph``, on the real server."""

from __future__ import annotations

import re
import time
from typing import Any

from wfb_jupyter.services import StepProgress
from wfb_jupyter.services._run_graph import AttemptRow, step_progress
from wfb_jupyter.widgets import RunForm, workflow_graph_svg

MANIFEST = {
    "steps": ["fetch", "each", "ship", "check", "cheap", "costly", "report"],
    "step_parents": {"ship": "each", "cheap": "check", "costly": "check"},
}


def test_states_come_from_progress_and_attempts() -> None:
    progress = {
        "completed_steps": ["fetch", "ship[0]", "ship[1]", "ship[2]", "check", "cheap"],
        "running_steps": ["each", "ship[3]"],
        "skipped_steps": [],
        "pending_steps": ["report"],
        "step_results": {"fetch": {"error": "timeout"}},
        "counts": {"each": [3, 7]},
    }
    attempts = [
        AttemptRow("fetch", 1, "failed", 20, "timeout"),
        AttemptRow("ship[0]", 1, "completed", 100),
        AttemptRow("ship[3]", 1, "failed", 5, "HTTP 503"),
    ]
    pending = [{"activity_id": "ship[3]", "attempt": 2, "last_failure": "HTTP 503"}]
    states = step_progress(MANIFEST, "running", progress, attempts, pending)
    assert {step: state.status for step, state in states.items()} == {
        "fetch": "handled", "each": "running", "ship": "retrying", "check": "done", "cheap": "done",
        "costly": "not taken", "report": "not reached",
    }  # fmt: skip
    assert states["each"].caption() == "running 3/7"
    assert states["ship"].error == "HTTP 503" and states["ship"].runs_done == 3
    assert states["fetch"].tooltip() == "handled · 20ms: timeout"

    failed = step_progress(
        MANIFEST, "failed", progress, attempts, [], error="ship[3] failed: HTTP 503"
    )
    assert failed["ship"].status == "failed" and failed["each"].status == "failed"
    assert failed["ship"].caption() == "failed · 3 done · 105ms"
    # A step that took under a millisecond still says how long, so that captions read the same run to run.
    assert StepProgress("a", "done", runs_done=1, duration_ms=0).caption() == "done · 0ms"
    # A step that was running elsewhere when the run failed was stopped, not failed.
    elsewhere = {**progress, "running_steps": ["each", "ship[3]", "report"], "pending_steps": []}
    assert step_progress(MANIFEST, "failed", elsewhere, attempts)["report"].status == "stopped"
    # No worker answered the query: what the attempts say.
    unknown = step_progress(MANIFEST, "running", None, attempts)
    assert (unknown["fetch"].status, unknown["ship"].status, unknown["report"].status) == (
        "failed", "failed", "not reached",
    )  # fmt: skip


def test_the_svg_marks_each_step_and_escapes_errors() -> None:
    definition = "name: g\nsteps:\n  - id: a\n    call: echo\n  - id: b\n    call: echo\n"
    states = {
        "a": StepProgress("a", "done", runs_done=1, duration_ms=1200),
        "b": StepProgress("b", "failed", error="<bad> & worse"),
    }
    svg = workflow_graph_svg(definition, states=states, run_status="failed")
    assert 'data-step="a" data-status="done"' in svg and 'data-step="b" data-status="failed"' in svg
    assert "done · 1.2s" in svg
    assert "failed: &lt;bad&gt; &amp; worse" in svg and "<bad>" not in svg
    assert workflow_graph_svg(definition, states=states) == workflow_graph_svg(
        definition, states=states
    )


LOOP = """\
name: shipments
input:
  items: {type: array, default: [1, 2, 3, 4, 5, 6]}
  fail_on: {type: integer, default: -1}
steps:
  - id: each
    for_each: ${input.items}
    as: item
    concurrency: 2
    steps:
      - id: pack
        call: sleep
        with: {seconds: 0.4}
      - id: ship
        call: python_transform
        with: {expression: "1 // 0 if data == fail else data", data: "${item}", variables: {fail: "${input.fail_on}"}}
  - id: notify
    when: ${input.fail_on < 0}
    call: echo
    with: {value: done}
output: ${steps.each.result}
"""


def _statuses(svg: str) -> dict[str, str]:
    return dict(re.findall(r'data-step="([^"]+)" data-status="([^"]+)"', svg))


def test_the_run_form_colours_a_loop_while_it_runs_and_when_it_fails(workspace: Any) -> None:
    workspace.build(None, LOOP)
    form = RunForm(workspace, "shipments", poll_interval=0.2)
    assert "data-status" not in form.graph.value  # not started: the plain graph
    form.run_button.click()
    end = time.monotonic() + 30
    while not re.search(r"running [1-5]/6", form.graph.value):  # some iterations done, not all
        assert time.monotonic() < end, form.graph.value
        time.sleep(0.05)
    assert _statuses(form.graph.value)["each"] == "running"
    assert form.wait(60).status == "completed"
    form.draw_graph()
    done = _statuses(form.graph.value)
    assert done == {"each": "done", "pack": "done", "ship": "done", "notify": "done"}
    assert "done 6/6" in form.graph.value

    form.inputs["fail_on"].value = "3"
    form.run_button.click()
    assert form.wait(60).status == "failed"
    failed = _statuses(form.graph.value)
    assert failed["ship"] == "failed" and failed["each"] == "failed", failed
    assert failed["notify"] == "not reached"
    assert "ZeroDivisionError" in form.graph.value or "division" in form.graph.value
