"""``%wfb`` commands that run things, on a real in-kernel worker and the real Temporal server."""

from __future__ import annotations

import time
from typing import Any

import pytest
from IPython.core.error import UsageError
from magic_definitions import APPROVAL, HELLO, LIMITED_APPROVAL


def _project(ip: Any) -> str:
    return ip.run_line_magic("config", "WfbSettings.project")


def _wait_until_step(ip: Any, step: str, capsys: Any, deadline: float = 30.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        ip.run_line_magic("wfb", "status")
        if f"current step: {step}" in capsys.readouterr().out:
            return
        time.sleep(0.2)
    raise AssertionError(f"the execution never reached {step}")


def test_build_starts_the_worker_and_run_waits_for_the_result(ip: Any, capsys: Any) -> None:
    ip.run_cell_magic("workflow", "hello", HELLO)
    out = capsys.readouterr().out
    assert "Started the in-kernel worker on task queue" in out and "it serves: hello.v1." in out
    ip.run_line_magic("wfb", "run hello who=Ada --wait")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Started 'hello' v1: workflow id hello-")
    assert lines[-1] == 'Completed: "Hello Ada"'
    ip.run_line_magic("wfb", "executions hello")
    table = capsys.readouterr().out.splitlines()
    assert table[1].split()[1:4] == ["hello", "v1", "completed"]


def test_inputs_from_notebook_variables(ip: Any, capsys: Any) -> None:
    ip.run_cell_magic("workflow", "hello", HELLO)
    ip.user_ns["person"] = "Grace"
    ip.user_ns["start_values"] = {"who": "Linus"}
    ip.run_line_magic("wfb", "run hello who=$person --wait")
    assert capsys.readouterr().out.splitlines()[-1] == 'Completed: "Hello Grace"'
    ip.run_line_magic("wfb", "run hello --inputs start_values")
    assert ip.run_line_magic("wfb", "result") == "Hello Linus"


def test_invalid_inputs_are_refused_before_starting(ip: Any, capsys: Any) -> None:
    ip.run_cell_magic("workflow", "approval", APPROVAL)
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "run approval amount=-5 extra=1")
    assert str(raised.value) == (
        "'approval' v1 was not started: the input is invalid\n"
        "  - amount must be at least 0\n"
        "  - unknown input field 'extra'\n"
        "  it takes: amount: number"
    )
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "run approval amount=ten")
    assert str(raised.value) == (
        "'approval' v1 was not started: the input is invalid\n"
        "  - amount must be number, got text\n"
        "  it takes: amount: number"
    )
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "run approval amount")
    assert str(raised.value).startswith("run inputs are written key=value (got 'amount')")
    assert ip.run_line_magic("wfb", "executions") is None
    assert capsys.readouterr().out.endswith("No executions yet.\n")


def test_unknown_workflow_and_version(ip: Any) -> None:
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "run nope")
    assert str(raised.value) == (
        f"there is no workflow 'nope' in project {_project(ip)!r} (workflows: none yet); "
        "define it in a %%workflow cell"
    )
    ip.run_cell_magic("workflow", "hello", HELLO)
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "run hello who=x --version 3")
    assert str(raised.value) == (
        "workflow 'hello' has no version 3 (versions: v1); see %wfb versions hello"
    )


def test_signal_query_status_and_a_finished_execution(ip: Any, capsys: Any) -> None:
    ip.run_cell_magic("workflow", "approval", APPROVAL)
    ip.run_line_magic("wfb", "run approval amount=12.5")
    _wait_until_step(ip, "wait_for_decision", capsys)
    assert ip.run_line_magic("wfb", "query decision") is None
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "signal approve")
    assert str(raised.value) == "approval v1 declares no signal 'approve' (signals: 'decide')"
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "signal decide approved=yes")
    assert str(raised.value).startswith("signal 'decide' was not sent to approval-")
    assert str(raised.value).endswith(
        ": approved must be boolean, got text (it takes: approved: boolean)"
    )
    ip.run_line_magic("wfb", "signal decide approved=true")
    assert capsys.readouterr().out.startswith("Sent 'decide' to approval-")
    assert ip.run_line_magic("wfb", "result --timeout 30") is True
    ip.run_line_magic("wfb", "status")
    status = capsys.readouterr().out.splitlines()
    assert status[0].endswith(": completed") and status[1] == "  result: true"
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "signal decide approved=false")
    assert "it has already completed; only running executions accept that" in str(raised.value)


def test_update_is_answered_refused_or_not_sent(ip: Any, capsys: Any) -> None:
    ip.run_cell_magic("workflow", "limited", LIMITED_APPROVAL)
    ip.run_line_magic("wfb", "run limited amount=1500")
    _wait_until_step(ip, "wait_for_done", capsys)
    assert ip.run_line_magic("wfb", "update approve by=grace") is None
    assert capsys.readouterr().out == "Refused 'approve': 1500 is over the limit of 1000\n"
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "update raise_limit limit=lots")
    assert str(raised.value).startswith("update 'raise_limit' was not sent to limited-")
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "update approved by=grace")
    assert "declares no update 'approved'" in str(raised.value)
    assert "approve" in str(raised.value)
    assert ip.run_line_magic("wfb", "update raise_limit limit=2000") == 2000
    assert ip.run_line_magic("wfb", "update approve by=grace") == {"approved_by": "grace"}
    assert capsys.readouterr().out == "Accepted 'raise_limit'.\nAccepted 'approve'.\n"
    ip.run_line_magic("wfb", "signal done")
    assert ip.run_line_magic("wfb", "result --timeout 30") == "grace"
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "update approve by=ada")
    assert "it has already completed" in str(raised.value)


def test_status_graph_is_the_workflow_coloured_by_the_run(ip: Any, capsys: Any) -> None:
    ip.run_cell_magic("workflow", "approval", APPROVAL)
    ip.run_line_magic("wfb", "run approval amount=3")
    _wait_until_step(ip, "wait_for_decision", capsys)
    svg = ip.run_line_magic("wfb", "status --graph").data
    assert 'data-step="check" data-status="done"' in svg
    assert 'data-step="wait_for_decision" data-status="running"' in svg
    assert "current step: wait_for_decision" in capsys.readouterr().out
    ip.run_line_magic("wfb", "terminate")
    svg = ip.run_line_magic("wfb", "status --graph").data
    assert 'data-step="wait_for_decision" data-status="stopped"' in svg


def test_cancel_and_terminate(ip: Any, capsys: Any) -> None:
    ip.run_cell_magic("workflow", "approval", APPROVAL)
    ip.run_line_magic("wfb", "run approval amount=1")
    _wait_until_step(ip, "wait_for_decision", capsys)
    ip.run_line_magic("wfb", "terminate --reason 'not needed'")
    assert capsys.readouterr().out.startswith("Terminated approval-")
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "result")
    assert "ended terminated" in str(raised.value)
    ip.run_line_magic("wfb", "run approval amount=2")
    _wait_until_step(ip, "wait_for_decision", capsys)
    ip.run_line_magic("wfb", "cancel")
    with pytest.raises(UsageError, match="ended cancelled"):
        ip.run_line_magic("wfb", "result --timeout 30")


def test_no_worker_running(ip: Any) -> None:
    ip.run_line_magic("config", "WfbSettings.auto_start_worker = False")
    ip.run_cell_magic("workflow", "hello", HELLO)
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "run hello who=x")
    assert str(raised.value).startswith(f"no worker serves project {_project(ip)!r}")
    project_id = (
        ip.magics_manager.registry["WorkflowMagics"].context.workspace.projects.current().id
    )
    assert str(raised.value).endswith("start one with `%wfb workers start` in the notebook or "
                                      f"`wfb worker {project_id}` in a terminal")  # fmt: skip


def test_workers_start_status_restart_stop(ip: Any, capsys: Any) -> None:
    ip.run_line_magic("config", "WfbSettings.auto_start_worker = False")
    ip.run_line_magic("wfb", "workers")
    assert capsys.readouterr().out.startswith("No worker has served project")
    ip.run_cell_magic("workflow", "hello", HELLO)
    capsys.readouterr()
    ip.run_line_magic("wfb", "workers start")
    assert capsys.readouterr().out.startswith("Started: in-kernel worker pid ")
    ip.run_line_magic("wfb", "workers status")
    out = capsys.readouterr().out
    assert ": running" in out and "serves hello.v1" in out
    ip.run_line_magic("wfb", "workers restart")
    assert capsys.readouterr().out.startswith("Restarted: in-kernel worker pid ")
    ip.run_line_magic("wfb", "workers stop")
    assert capsys.readouterr().out.startswith("Stopped the in-kernel worker (pid ")
    with pytest.raises(UsageError, match="no worker of project .* runs in this process"):
        ip.run_line_magic("wfb", "workers stop")


def test_temporal_unreachable(ip: Any) -> None:
    from wfb_jupyter.temporal import TemporalConnection, TemporalSettings

    ip.run_line_magic("config", "WfbSettings.auto_start_worker = False")
    magics = ip.magics_manager.registry["WorkflowMagics"]
    unreachable = TemporalConnection(
        TemporalSettings(pinned_address="127.0.0.1:9", namespace="default"), attempts=1
    )
    current = magics.context.workspace
    magics.context.workspace = type(current)(current.settings, temporal=unreachable)
    ip.run_cell_magic("workflow", "hello", HELLO)
    for command in ("run hello who=x", "workers start"):
        with pytest.raises(UsageError) as raised:
            ip.run_line_magic("wfb", command)
        assert "Cannot reach Temporal at 127.0.0.1:9 after 1 attempt(s)" in str(raised.value)
        assert str(raised.value).endswith(
            "Start a Temporal server there, point TEMPORAL_ADDRESS at one that runs, "
            "or unset TEMPORAL_ADDRESS to use the local Temporal server."
        )


def test_server_says_which_temporal(ip: Any, capsys: Any) -> None:
    ip.run_line_magic("wfb", "server")
    assert capsys.readouterr().out.startswith("Using ")


def test_a_build_is_kept_when_no_worker_can_start(ip: Any, capsys: Any) -> None:
    from wfb_jupyter.temporal import TemporalConnection, TemporalSettings

    magics = ip.magics_manager.registry["WorkflowMagics"]
    unreachable = TemporalConnection(
        TemporalSettings(pinned_address="127.0.0.1:9", namespace="default"), attempts=1
    )
    current = magics.context.workspace
    magics.context.workspace = type(current)(current.settings, temporal=unreachable)
    ip.run_cell_magic("workflow", "hello", HELLO)
    out = capsys.readouterr().out
    assert out.startswith("Built 'hello' version 1 (1 step, active;")
    assert "  Stored, but no worker serves it yet: the worker for project" in out
    assert "Cannot reach Temporal at 127.0.0.1:9 after 1 attempt(s)" in out
    assert [v.version for v in magics.context.workspace.versions.list("hello")] == [1]


def test_sidecar_worker_serves_runs_and_stops(ip: Any, capsys: Any) -> None:
    from wfb_jupyter import workspace

    ip.run_line_magic("config", "WfbSettings.auto_start_worker = False")
    ip.run_line_magic("config", "WfbSettings.heartbeat_interval = 1.0")
    ip.run_cell_magic("workflow", "hello", HELLO)
    capsys.readouterr()
    ip.run_line_magic("wfb", "workers start --sidecar")
    started = capsys.readouterr().out
    assert started.startswith("Started: sidecar worker pid ") and "serves hello.v1" in started
    try:
        ip.run_line_magic("wfb", "run hello who=Sidecar --wait")
        assert capsys.readouterr().out.splitlines()[-1] == 'Completed: "Hello Sidecar"'
        with pytest.raises(UsageError, match="restart a sidecar with %wfb workers stop --sidecar"):
            ip.run_line_magic("wfb", "workers restart --sidecar")
    finally:
        ip.run_line_magic("wfb", "workers stop --sidecar")
    assert capsys.readouterr().out.startswith("Stopped the sidecar worker (pid ")

    deadline = time.monotonic() + 30
    while workspace().workers.list() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert workspace().workers.list() == []
    with pytest.raises(UsageError, match="no sidecar worker of project .* runs on "):
        ip.run_line_magic("wfb", "workers stop --sidecar")


def test_status_text_shows_a_retrying_activity() -> None:
    from types import SimpleNamespace

    from wfb_jupyter.magics._run_commands import describe_state

    state = SimpleNamespace(
        workflow_id="scoring-1", status="running", result=None, error=None, duration_ms=None,
        progress={"current_step": "lookup", "completed_steps": ["load"], "pending_steps": ["rate"]},
        pending_activities=[
            {"activity_type": "lookup_customer.v1", "attempt": 2, "last_failure": "service busy"}
        ],
    )  # fmt: skip
    assert describe_state(state).splitlines() == [
        "scoring-1: running",
        "  current step: lookup",
        "  completed: load",
        "  pending: rate",
        "  activity lookup_customer.v1: attempt 2, last failure: service busy",
    ]
