"""The schedule panel driven through its buttons, and the run form's re-run button for a failed run."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from wfb_jupyter.widgets import RunForm, SchedulePanel

HELLO = """\
input:
  who: string
steps:
  - id: greet
    call: echo
    with: {value: "Hello ${input.who}"}
output: ${steps.greet.result}
"""

FLAGGED = """\
input:
  db: string
steps:
  - id: first
    call: echo
    with: {value: 1}
  - id: read_flag
    call: sql_query
    with: {url: "${input.db}", query: "SELECT value FROM flags"}
output: ${steps.read_flag.result.rows}
"""


def test_schedule_panel_pauses_resumes_triggers_and_deletes(workspace: Any) -> None:
    workspace.build("hello", HELLO)
    workspace.schedules.create("hello", {"who": "Ada"}, cron="0 0 1 1 *")
    try:
        panel = SchedulePanel(workspace)
        assert panel.choice.value == "hello"
        assert "<td>hello</td><td>cron &#x27;0 0 1 1 *&#x27;</td><td>v1 (active)</td>" in (
            panel.table.value
        )
        assert "<td>active</td>" in panel.table.value
        panel.buttons["Pause"].click()
        assert panel.message.value.endswith("hello: paused.</div>")
        assert "<td>paused</td>" in panel.table.value
        panel.buttons["Resume"].click()
        assert "<td>active</td>" in panel.table.value
        panel.buttons["Trigger"].click()
        assert "hello: triggered" in panel.message.value

        deadline = time.monotonic() + 60
        while not any(r.schedule_id for r in workspace.runs.list("hello")):
            assert time.monotonic() < deadline, "the triggered run was never recorded"
            time.sleep(0.2)
        panel.refresh()
        assert panel.table.value.count("<td>1</td>") == 1  # runs it started
    finally:
        for info in workspace.schedules.list():
            workspace.schedules.delete(info.workflow)
    panel.refresh()
    assert "No schedules in this project yet." in panel.table.value
    assert all(button.disabled for button in panel.buttons.values())


def test_the_run_form_re_runs_a_failed_run_from_its_failed_step(
    workspace: Any, tmp_path: Path
) -> None:
    workspace.build("flagged", FLAGGED)
    database = tmp_path / "flags.db"
    form = RunForm(workspace, "flagged")
    form.inputs["db"].value = f"sqlite:///{database}"
    assert form.rerun_button.layout.display == "none"
    form.run_button.click()
    assert form.wait(60).status == "failed"
    assert form.rerun_button.layout.display is None  # shown for a failed run
    failed = form.execution

    with sqlite3.connect(database) as connection:  # what made it fail is fixed
        connection.execute("CREATE TABLE flags (value TEXT)")
        connection.execute("INSERT INTO flags VALUES ('ok')")
    form.rerun_button.click()
    rerun = form.execution
    assert rerun is not failed and rerun.workflow_id == failed.workflow_id
    assert rerun.rerun_plan.step == "read_flag" and rerun.rerun_plan.kept_steps == ("first",)
    state = form.wait(60)
    assert state.status == "completed" and state.result == [{"value": "ok"}]
    assert form.rerun_button.layout.display == "none"
    attempts = workspace.stats.attempts_frame("flagged")
    assert list(attempts["step_id"]).count("first") == 1
