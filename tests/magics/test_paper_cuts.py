"""The small things a notebook user hits in an afternoon (issue 18), each through IPython's test shell where it
is a magic: expansion, imports, diffs, timelines, rollback, frames, messages, status, durations, options, logs,
requirements."""

from __future__ import annotations

import logging
import time
from types import SimpleNamespace
from typing import Any

import pytest
from IPython.core.error import UsageError
from magic_definitions import APPROVAL, HELLO

LOOP = """\
input:
  items: {type: array, default: [1, 2, 3]}
steps:
  - id: enrich
    for_each: ${input.items}
    steps:
      - id: double
        call: python_transform
        with: {expression: "data * 2", data: "${item}"}
output: ${steps.enrich.result}
"""

BRANCHES = """\
input:
  big: {type: boolean, default: false}
vars:
  done: false
steps:
  - id: route
    switch:
      - when: ${input.big}
        steps:
          - {id: publish, call: echo, with: {value: big}}
      - default:
          - {call: echo, with: {value: small}}
  - set: {done: true}
output: ${vars.done}
"""


def _ws(ip: Any) -> Any:
    return ip.magics_manager.registry["WorkflowMagics"].context.workspace


def test_dollar_and_brace_expansion_work_for_every_argument(ip: Any, capsys: Any) -> None:
    ip.run_cell_magic("workflow", "hello", HELLO)
    ip.run_line_magic("wfb", "run hello who=Ada --wait")
    capsys.readouterr()
    wid = ip.user_ns["wid"] = _ws(ip).runs.list()[0].workflow_id
    for line in ("status $wid", "status {wid}", "status {wid.upper().lower()}"):
        ip.run_line_magic("wfb", line)
        assert capsys.readouterr().out.startswith(f"{wid}: completed"), line
    # key=$name still hands the object itself over, not its text; JSON stays as written.
    ip.user_ns["person"] = {"not": "text"}
    with pytest.raises(UsageError, match="who must be string, got a mapping"):
        ip.run_line_magic("wfb", "run hello who=$person")
    ip.run_cell_magic("workflow", "approval", APPROVAL)
    with pytest.raises(UsageError, match="amount must be number, got a mapping"):
        ip.run_line_magic("wfb", """run approval amount='{"x": 1}'""")  # JSON arrives as JSON


def test_component_is_importable_from_the_package() -> None:
    from wfb_jupyter import component
    from wfb_jupyter.components import component as original

    assert component is original


def test_a_diff_starts_with_what_changed(ip: Any, capsys: Any) -> None:
    from wfb_jupyter.services._diff import version_changes

    old = {"components": {"transform_totals": "transform_totals.v1"}, "steps": ["load"]}
    new = {"components": {"transform_totals": "transform_totals.v2"}, "steps": ["load", "report"]}
    assert version_changes(old, new, "same", "same") == [
        "component transform_totals: v1 -> v2 (its code: --which activities)",
        "steps added: report",
    ]
    ip.run_cell_magic("workflow", "hello", HELLO)
    ip.run_cell_magic(
        "workflow", "hello", HELLO.replace("who: string", "who: {type: string, default: x}")
    )
    ip.run_line_magic("wfb", "diff hello 1 2")
    summary = capsys.readouterr().out.split("\n\n")[0].splitlines()
    assert summary[-2:] == [
        "  definition: 1 line(s) added, 1 removed (--which definition)",
        "  input who: changed",
    ]


def test_for_each_attempts_have_their_item_and_timeline_rows(ip: Any) -> None:
    ip.run_cell_magic("workflow", "loop", LOOP)
    ws = _ws(ip)
    run = ws.run("loop", wait=True, timeout=60)
    deadline = time.monotonic() + 20
    while len(ws.stats.attempts_frame(execution=run)) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    attempts = ws.stats.attempts_frame(execution=run)
    assert sorted(attempts["item"].tolist()) == [0, 1, 2]
    assert sorted(attempts["activity_id"]) == ["double[0]", "double[1]", "double[2]"]
    rows = {y for trace in ws.stats.timeline(run).data for y in trace.y}
    assert rows == {"double[0]", "double[1]", "double[2]"}
    assert "Retries" in ws.stats.charts("loop")


def test_rollback_without_a_version_goes_back_to_the_previous_active_one(
    ip: Any, capsys: Any
) -> None:
    ip.run_cell_magic("workflow", "hello", HELLO)
    ip.run_cell_magic("workflow", "hello", HELLO.replace("Hello", "Hi"))
    ip.run_cell_magic("workflow", "hello", HELLO.replace("Hello", "Hey"))
    ip.run_line_magic("wfb", "activate hello 1")
    capsys.readouterr()
    ip.run_line_magic("wfb", "rollback hello")
    assert capsys.readouterr().out.startswith("'hello' v3 is now active (was v1)")
    ip.run_line_magic("wfb", "rollback hello")
    assert capsys.readouterr().out.startswith("'hello' v1 is now active (was v3)")
    ip.run_line_magic("wfb", "rollback hello 2")
    assert capsys.readouterr().out.startswith("'hello' v2 is now active (was v1)")


def test_executions_frame_has_inputs_and_short_results(ip: Any) -> None:
    ip.run_cell_magic("workflow", "hello", HELLO)
    ws = _ws(ip)
    ws.run("hello", {"who": "Ada"}, wait=True, timeout=60)
    ws.run("hello", {"who": "x" * 500}, wait=True, timeout=60)
    frame = ws.stats.executions_frame("hello")
    assert [row["who"] for row in frame["input"]] == ["x" * 500, "Ada"]
    assert frame["result"].iloc[1] == "Hello Ada"
    assert len(frame["result"].iloc[0]) == 200 and frame["result"].iloc[0].endswith("…")
    assert frame[frame["input"].map(lambda given: given["who"] == "Ada")].shape[0] == 1


def test_messages(ip: Any) -> None:
    ip.run_cell_magic("workflow", "approval", APPROVAL)
    ip.run_line_magic("wfb", "run approval amount=1")
    with pytest.raises(UsageError, match=r"\(queries: 'decision', 'progress'\)"):
        ip.run_line_magic("wfb", "query nope")
    with pytest.raises(UsageError, match="did you mean 'stats' or 'status'"):
        ip.run_line_magic("wfb", "stauts")
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "run")
    assert str(raised.value).startswith("the following arguments are required: name\n")
    with pytest.raises(UsageError, match="there is no workflow 'nosuchworkflow'"):
        ip.run_line_magic("wfb", "stats nosuchworkflow --table")
    with pytest.raises(UsageError, match="check the indentation of line 3") as raised:
        ip.run_cell_magic("workflow", "bad", "steps:\n  - id: a\n     call: echo\n")
    assert "cell line 4" in str(raised.value)
    with pytest.raises(UsageError, match=r"upper\(\) takes 1 argument, got 2"):
        ip.run_cell_magic("workflow", "bad", "steps:\n  - set: {x: '${upper(1, 2)}'}\n")
    ip.run_line_magic("wfb", "terminate")


def test_status_names_unnamed_steps_and_leaves_out_branches_not_taken(ip: Any) -> None:
    from wfb_jupyter.magics._run_commands import describe_state

    ip.run_cell_magic("workflow", "branches", BRANCHES)
    manifest = _ws(ip).versions.manifest("branches")
    state = SimpleNamespace(
        workflow_id="branches-1", status="running", duration_ms=None, error=None,
        progress={"current_step": "set_2", "completed_steps": ["route", "activity_1"],
                  "skipped_steps": [], "pending_steps": ["publish", "set_2"]},
    )  # fmt: skip
    assert describe_state(state, manifest).splitlines() == [
        "branches-1: running",
        "  current step: set done",
        "  completed: route, echo",
        "  pending: set done",
    ]


def test_one_duration_for_one_run(ip: Any, capsys: Any) -> None:
    ip.run_cell_magic("workflow", "hello", HELLO)
    ip.run_line_magic("wfb", "run hello who=Ada --wait")
    ip.run_line_magic("wfb", "status")
    status = capsys.readouterr().out
    ip.run_line_magic("wfb", "executions")
    table = capsys.readouterr().out
    duration = next(line for line in status.splitlines() if "duration:" in line).split()[-1]
    assert duration in table


def test_signal_takes_inputs_from_a_variable_and_build_a_dict(ip: Any, capsys: Any) -> None:
    ip.user_ns["definition"] = {
        "input": {"amount": {"type": "number"}},
        "signals": {
            "decide": {"payload": {"approved": "boolean"}, "set": {"ok": "${signal.approved}"}}
        },
        "vars": {"ok": None},
        "steps": [{"id": "wait", "wait_signal": "decide", "timeout": "5m"}],
        "output": "${vars.ok}",
    }
    ip.run_line_magic("wfb", "build definition --name decide")
    assert capsys.readouterr().out.startswith("Built 'decide' version 1")
    ip.run_line_magic("wfb", "run decide amount=3")
    ip.user_ns["answer"] = {"approved": True}
    ip.run_line_magic("wfb", "signal decide --inputs answer")
    assert ip.run_line_magic("wfb", "result --timeout 30") is True


def test_sdk_core_logs_go_to_the_python_logger_at_the_chosen_level(ip: Any) -> None:
    from wfb_jupyter.temporal._runtime import CORE_LOGGER, sdk_runtime

    ip.run_line_magic("config", "WfbSettings.sdk_log_level = 'WARNING'")
    assert _ws(ip).temporal is not None  # the connection manager takes the settings
    assert logging.getLogger(CORE_LOGGER).level == logging.WARNING
    ip.run_line_magic("config", "WfbSettings.sdk_log_level = 'ERROR'")
    assert _ws(ip).temporal is not None
    assert logging.getLogger(CORE_LOGGER).level == logging.ERROR
    client = ip.magics_manager.registry["WorkflowMagics"].context.workspace
    from wfb_jupyter.runtime import runtime

    connected = runtime().run(client.temporal.get_client(), 30)
    assert connected.service_client.config.runtime is sdk_runtime()


def test_exported_requirements_list_what_components_import(ip: Any, capsys: Any) -> None:
    from importlib import metadata

    ip.run_cell(
        "from wfb_jupyter import component\n"
        "@component\n"
        "def column_total(rows: list) -> float:\n"
        "    import pandas as pd\n"
        "    return float(pd.DataFrame(rows)['x'].sum())\n"
    )
    ip.run_cell_magic(
        "workflow",
        "totals",
        "steps:\n  - {id: t, call: column_total, with: {rows: [{x: 1}]}}\noutput: ${steps.t.result}\n",
    )
    capsys.readouterr()
    ip.run_line_magic("wfb", "code totals --which requirements")
    assert f"pandas=={metadata.version('pandas')}" in capsys.readouterr().out.splitlines()
