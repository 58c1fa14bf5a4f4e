"""``%wfb rerun`` on the real Temporal server: a failed run re-run from its failing step completes without
running the earlier steps again, on its own version's code; bad step ids list the steps to choose from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError

FLAKY = """\
input:
  flag: string
steps:
  - id: one
    call: echo
    with: {value: 1}
  - id: two
    call: echo
    with: {value: "${steps.one.result + 1}"}
  - id: three
    call: check_flag
    with: {path: "${input.flag}"}
    retry: {max_attempts: 1}
  - id: four
    call: echo
    with: {value: "${steps.two.result} and ${steps.three.result}"}
output: ${steps.four.result}
"""

CHECK_FLAG = """\
from wfb_jupyter import component

@component
def check_flag(path: str) -> str:
    import os
    if not os.path.exists(path):
        raise RuntimeError(f"no flag at {path}")
    return "flag found"
"""

WAITING = """\
signals:
  go: {}
steps:
  - id: before
    call: echo
    with: {value: 1}
  - id: wait
    wait_signal: go
    timeout: 5m
"""


@pytest.fixture
def flaky(ip: Any, capsys: Any) -> Any:
    from wfb_jupyter.components import forget_components

    ip.run_cell(CHECK_FLAG).raise_error()
    ip.run_cell_magic("workflow", "flaky", FLAKY)
    capsys.readouterr()
    yield ip
    forget_components()


def _ws(ip: Any) -> Any:
    return ip.magics_manager.registry["WorkflowMagics"].context.workspace


def _attempts(ip: Any, workflow_id: str) -> dict[str, list[str]]:
    """Per step, the statuses of its recorded attempts (over every run of the workflow id)."""
    frame = _ws(ip).stats.attempts_frame("flaky")
    frame = frame[frame["workflow_id"] == workflow_id]
    attempts: dict[str, list[str]] = {}
    for step, status in zip(frame["step_id"], frame["status"], strict=True):
        attempts.setdefault(step, []).append(status)
    return attempts


def _fail_once(ip: Any, flag: Path) -> Any:
    with pytest.raises(UsageError, match="ended failed: .*no flag at"):
        ip.run_line_magic("wfb", f"run flaky flag={flag} --wait")
    return ip.magics_manager.registry["WorkflowMagics"].context.last_execution


def test_a_failed_run_re_run_from_its_failing_step_completes_without_the_earlier_steps(
    flaky: Any, capsys: Any, tmp_path: Path
) -> None:
    flag = tmp_path / "flag"
    failed = _fail_once(flaky, flag)
    capsys.readouterr()
    assert _attempts(flaky, failed.workflow_id) == {
        "one": ["completed"],
        "two": ["completed"],
        "three": ["failed"],
    }
    flag.write_text("ok")  # what made it fail is fixed

    flaky.run_line_magic("wfb", f"rerun {failed.workflow_id} --wait")
    out = capsys.readouterr().out.splitlines()
    rerun = flaky.magics_manager.registry["WorkflowMagics"].context.last_execution
    assert out[0] == (
        f"Re-running {failed.workflow_id} (flaky v1) from step 'three': new run {rerun.run_id}"
    )
    assert out[1] == "  kept, not run again: one, two"
    assert out[-1] == 'Completed: "2 and flag found"'
    assert rerun.workflow_id == failed.workflow_id and rerun.run_id != failed.run_id

    # The steps before the reset point were not run again: their attempt counts did not grow.
    assert _attempts(flaky, failed.workflow_id) == {
        "one": ["completed"],
        "two": ["completed"],
        "three": ["failed", "completed"],
        "four": ["completed"],
    }
    from wfb_jupyter.storage import find_execution, session_scope

    with session_scope(_ws(flaky).engine) as session:
        original = find_execution(session, failed.workflow_id, failed.run_id)
        new = find_execution(session, failed.workflow_id, rerun.run_id)
        assert original is not None and new is not None
        assert (original.status, new.status) == ("failed", "completed")
        assert (new.rerun_of, new.from_step, new.version) == (original.id, "three", 1)
        assert new.input == original.input
    flaky.run_line_magic("wfb", "executions flaky")
    table = capsys.readouterr().out
    assert "flaky v1 (re-run from three)  completed" in table


def test_a_re_run_runs_the_code_of_the_originals_version(
    flaky: Any, capsys: Any, tmp_path: Path
) -> None:
    flag = tmp_path / "flag"
    failed = _fail_once(flaky, flag)
    flaky.run_cell_magic("workflow", "flaky", FLAKY.replace(" and ", " & "))  # v2, now active
    flag.write_text("ok")
    capsys.readouterr()
    rerun = failed.rerun()
    assert rerun.version == 1 and rerun.result(timeout=60) == "2 and flag found"
    assert rerun.rerun_plan.kept_steps == ("one", "two")


def test_re_run_from_an_earlier_step_of_a_completed_run(
    flaky: Any, capsys: Any, tmp_path: Path
) -> None:
    flag = tmp_path / "flag"
    flag.write_text("ok")
    flaky.run_line_magic("wfb", f"run flaky flag={flag} --wait")
    done = flaky.magics_manager.registry["WorkflowMagics"].context.last_execution
    capsys.readouterr()
    flaky.run_line_magic("wfb", f"rerun {done.workflow_id} --from two --wait")
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "  kept, not run again: one"
    assert _attempts(flaky, done.workflow_id) == {
        "one": ["completed"],
        "two": ["completed", "completed"],
        "three": ["completed", "completed"],
        "four": ["completed", "completed"],
    }


def test_a_step_that_does_not_exist_or_has_not_run_lists_the_steps_to_choose(
    flaky: Any, tmp_path: Path
) -> None:
    failed = _fail_once(flaky, tmp_path / "flag")
    with pytest.raises(UsageError) as raised:
        flaky.run_line_magic("wfb", f"rerun {failed.workflow_id} --from nope")
    assert str(raised.value) == (
        "'flaky' v1 has no step 'nope'; steps it can re-run from: one, two, three; "
        "choose one with --from STEP"
    )
    with pytest.raises(UsageError) as raised:
        flaky.run_line_magic("wfb", f"rerun {failed.workflow_id} --from four")
    assert str(raised.value) == (
        f"step 'four' has not run in {failed.workflow_id!r}; steps it can re-run from: one, two, "
        "three; choose one with --from STEP"
    )


def test_a_completed_run_has_no_failed_step_to_default_to(flaky: Any, tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    flag.write_text("ok")
    flaky.run_line_magic("wfb", f"run flaky flag={flag} --wait")
    with pytest.raises(
        UsageError, match=r"no step of 'flaky-\w+' failed, so there is no failed step"
    ):
        flaky.run_line_magic("wfb", "rerun")


def test_a_running_execution_is_refused_unless_forced(ip: Any, capsys: Any) -> None:
    ip.run_cell_magic("workflow", "waiting", WAITING)
    ip.run_line_magic("wfb", "run waiting")
    running = ip.magics_manager.registry["WorkflowMagics"].context.last_execution
    capsys.readouterr()
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("wfb", "rerun --from before")
    assert str(raised.value) == (
        f"execution {running.workflow_id!r} is still running: re-run it once it has ended, or re-run "
        f"it now with force (its current run is then terminated); `%wfb rerun {running.workflow_id} "
        "--force` re-runs it now"
    )
    ip.run_line_magic("wfb", "rerun --from before --force")
    out = capsys.readouterr().out
    assert f"its running run {running.run_id} was terminated" in out
    new = ip.magics_manager.registry["WorkflowMagics"].context.last_execution
    assert running.status().status == "terminated"
    new.signal("go")
    assert new.wait(60).status == "completed"


NAPPING = """\
steps:
  - id: one
    call: echo
    with: {value: 1}
  - id: nap
    sleep: 1s
  - id: two
    call: echo
    with: {value: 2}
output: ${steps.two.result}
"""


def test_a_sleep_step_is_found_by_its_timer(ip: Any, capsys: Any) -> None:
    ip.run_cell_magic("workflow", "napping", NAPPING)
    ip.run_line_magic("wfb", "run napping --wait")
    capsys.readouterr()
    ip.run_line_magic("wfb", "rerun --from nap --wait")
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("from step 'nap': new run " + out[0].rsplit(" ", 1)[-1])
    assert out[1] == "  kept, not run again: one"
    assert out[-1] == "Completed: 2"
