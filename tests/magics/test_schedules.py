"""``%wfb schedule`` and ``%wfb schedules`` on the real Temporal server: schedules fire, their runs are recorded
by the project's worker, they follow the active version, and bad input is refused with nothing created."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from IPython.core.error import UsageError

TICK = """\
input:
  n: {type: integer, minimum: 0}
steps:
  - id: first
    call: echo
    with: {value: "${input.n}"}
  - id: second
    call: echo
    with: {value: "${steps.first.result + 1}"}
output: ${steps.second.result}
"""


def _ws(ip: Any) -> Any:
    return ip.magics_manager.registry["WorkflowMagics"].context.workspace


def _wait_for(condition: Callable[[], Any], what: str, deadline: float = 60.0) -> Any:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"never happened: {what}")


def _temporal_schedule(ws: Any, schedule_id: str) -> Any:
    from wfb_jupyter.executions import read_schedule

    return ws._context.with_client(lambda client: read_schedule(client, schedule_id))


@pytest.fixture
def tick(ip: Any, capsys: Any) -> Any:
    """A built workflow `tick`; its schedule (if a test made one) is deleted afterwards."""
    ip.run_cell_magic("workflow", "tick", TICK)
    capsys.readouterr()
    yield ip
    ws = _ws(ip)
    for info in ws.schedules.list():
        ws.schedules.delete(info.workflow)


def test_a_schedule_fires_and_its_runs_are_executions_like_any_other(
    tick: Any, capsys: Any
) -> None:
    ip, ws = tick, _ws(tick)
    ip.run_line_magic("wfb", "schedule tick --every 1s n=41")
    out = capsys.readouterr().out.splitlines()
    task_queue = ws.projects.current().task_queue
    assert out[0] == (
        f"Schedule 'wfb-{task_queue}.tick': tick v1 (follows the active version), every 1s; active"
    )
    assert out[1] == (
        '  inputs: {"n": 41}; overlap: skip; catch-up window: the server\'s default (1 year)'
    )
    assert out[2] == "  next 5 fire times:"
    assert all(line.startswith("    20") and line.endswith(" UTC") for line in out[3:8])
    assert "Its runs need the project's worker" in "\n".join(out)

    def scheduled_and_done() -> list[Any]:
        runs = [r for r in ws.runs.list("tick") if r.schedule_id and r.status == "completed"]
        return runs if len(runs) >= 2 else []

    runs = _wait_for(scheduled_and_done, "two scheduled runs completed and recorded")
    assert {run.schedule_id for run in runs} == {f"wfb-{task_queue}.tick"}
    assert all(
        run.result == 42 and run.workflow_id.startswith(f"wfb-{task_queue}.tick-") for run in runs
    )
    ip.run_line_magic("wfb", "executions tick")
    table = capsys.readouterr().out
    assert "tick v1 (scheduled)" in table and "completed" in table

    ip.run_line_magic("wfb", "schedule tick --pause")
    assert capsys.readouterr().out.startswith("Paused the schedule of 'tick';")
    ip.run_line_magic("wfb", "schedules")
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split() == ["workflow", "when", "version", "state", "next", "fire", "runs"]
    assert rows[1].split()[:6] == ["tick", "every", "1s", "v1", "(active)", "paused"]

    ip.run_line_magic("wfb", "schedule tick --trigger")
    assert capsys.readouterr().out.startswith("Triggered 'tick': a run starts now")
    ip.run_line_magic("wfb", "schedule tick --resume")
    assert capsys.readouterr().out.startswith("Resumed the schedule of 'tick'; next fire time: 20")

    # Attempts are recorded and the statistics count the scheduled runs.
    attempts = ws.stats.attempts_frame("tick")
    recorded = set(attempts["workflow_id"])
    assert {run.workflow_id for run in runs} <= recorded
    summary = ws.stats.summary("tick")
    assert int(summary["executions"].sum()) >= 2
    frame = ws.stats.executions_frame("tick")
    assert {run.workflow_id for run in runs} <= set(frame["workflow_id"])
    assert "Latest execution" in ws.stats.charts("tick")

    ip.run_line_magic("wfb", "schedule tick --delete")
    assert capsys.readouterr().out == ("Deleted the schedule of 'tick'; runs it started go on.\n")
    assert _temporal_schedule(ws, f"wfb-{task_queue}.tick") is None
    ip.run_line_magic("wfb", "schedules")
    assert capsys.readouterr().out.startswith("No schedules in project")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            '--cron "0 7 * * MONX"',
            "invalid cron '0 7 * * MONX': day of week 'MONX' is not a number or a name SUN-SAT; "
            'write 5 fields, e.g. "0 7 * * MON-FRI" (minute hour day-of-month month day-of-week)',
        ),
        (
            '--cron "0 7 * * MON-FRI" --timezone Europe/Nowhere',
            "unknown time zone 'Europe/Nowhere' (IANA names, e.g. 'Europe/Paris', 'UTC')",
        ),
        (
            "--every 15m n=-1 extra=2",
            "no schedule was created for 'tick' v1: the input is invalid\n"
            "  - n must be at least 0\n"
            "  - unknown input field 'extra'\n"
            "  it takes: n: integer",
        ),
        (
            "--every soon n=1",
            "invalid interval 'soon': write a number and a unit (s, m, h, d), e.g. 15m or 1h30m",
        ),
        ("--every 1m --cron '* * * * *' n=1", "say when it fires: either every INTERVAL"),
        ("--every 1m --catchup 2s n=1", "invalid catch-up window '2s': it must be at least 10s"),
        ("--every 1m --overlap often n=1", "unknown overlap policy 'often'; choose one of skip,"),
        (
            "--every 1m --version 7 n=1",
            "workflow 'tick' has no version 7 (versions: v1); see %wfb versions tick",
        ),
    ],
)
def test_bad_input_is_refused_with_one_message_and_nothing_is_created(
    tick: Any, arguments: str, message: str
) -> None:
    ws = _ws(tick)
    with pytest.raises(UsageError) as raised:
        tick.run_line_magic("wfb", f"schedule tick {arguments}")
    assert str(raised.value).startswith(message)
    assert ws.schedules.list() == []
    task_queue = ws.projects.current().task_queue
    assert _temporal_schedule(ws, f"wfb-{task_queue}.tick") is None


def test_unknown_workflows_and_missing_schedules_say_so(tick: Any) -> None:
    with pytest.raises(UsageError) as raised:
        tick.run_line_magic("wfb", "schedule nope --every 1m")
    assert str(raised.value) == (
        f"there is no workflow 'nope' in project {_ws(tick).projects.current().name!r} "
        "(workflows: tick); define it in a %%workflow cell"
    )
    with pytest.raises(UsageError) as raised:
        tick.run_line_magic("wfb", "schedule tick --pause")
    assert str(raised.value) == (
        "workflow 'tick' has no schedule (scheduled workflows: none yet); "
        "create one with %wfb schedule tick --every 15m (or --cron CRON)"
    )
    with pytest.raises(UsageError, match="--pause acts on the schedule as it is"):
        tick.run_line_magic("wfb", "schedule tick --pause --every 1m")


def test_a_cron_in_a_time_zone_prints_its_next_fire_times_there(tick: Any, capsys: Any) -> None:
    tick.run_line_magic(
        "wfb",
        'schedule tick --cron "0 7 * * MON-FRI" --timezone Europe/Paris n=1 --overlap buffer-one --catchup 1h',
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("cron '0 7 * * MON-FRI' (Europe/Paris); active")
    assert out[1] == '  inputs: {"n": 1}; overlap: buffer-one; catch-up window: 1h'
    times = out[3:8]
    assert all(line.strip()[11:19] == "07:00:00" for line in times)
    assert all(line.endswith((" CET", " CEST")) for line in times)
    # Creating it again replaces it.
    tick.run_line_magic("wfb", "schedule tick --every 1h n=2")
    replaced = capsys.readouterr().out.splitlines()
    assert replaced[0].startswith("Replaced ") and replaced[0].endswith("every 1h; active")
    assert [info.inputs for info in _ws(tick).schedules.list()] == [{"n": 2}]


def test_a_schedule_follows_the_active_version_unless_pinned(tick: Any, capsys: Any) -> None:
    ws = _ws(tick)
    task_queue = ws.projects.current().task_queue
    schedule_id = f"wfb-{task_queue}.tick"
    tick.run_line_magic("wfb", 'schedule tick --cron "0 0 1 1 *" n=1')
    tick.run_cell_magic("workflow", "tick", TICK.replace("+ 1", "+ 2"))
    assert "  The schedule of 'tick' now runs v2 (was v1).\n" in capsys.readouterr().out
    assert _temporal_schedule(ws, schedule_id).workflow_type == "tick.v2"
    tick.run_line_magic("wfb", "rollback tick")
    out = capsys.readouterr().out
    assert "'tick' v1 is now active (was v2)" in out
    assert "  The schedule of 'tick' now runs v1 (was v2)." in out
    assert _temporal_schedule(ws, schedule_id).workflow_type == "tick.v1"
    assert ws.schedules.get("tick").version == 1

    # Pinned: activations leave it alone.
    tick.run_line_magic("wfb", 'schedule tick --cron "0 0 1 1 *" --version 1 n=1')
    capsys.readouterr()
    tick.run_line_magic("wfb", "activate tick 2")
    assert "schedule" not in capsys.readouterr().out
    assert _temporal_schedule(ws, schedule_id).workflow_type == "tick.v1"


def test_a_version_whose_input_the_schedule_does_not_fit_is_not_followed(
    tick: Any, capsys: Any
) -> None:
    ws = _ws(tick)
    tick.run_line_magic("wfb", 'schedule tick --cron "0 0 1 1 *" n=1')
    stricter = TICK.replace("  n: {type: integer, minimum: 0}", "  n: {type: integer, minimum: 5}")
    tick.run_cell_magic("workflow", "tick", stricter)
    out = capsys.readouterr().out
    assert "The schedule of 'tick': its inputs do not fit v2 (n must be at least 5)" in out
    info = ws.schedules.get("tick")
    assert info.version == 1 and "it still runs v1" in (info.problem or "")
    tick.run_line_magic("wfb", "schedules")
    assert "(!)" in capsys.readouterr().out


def test_backfill_starts_the_runs_of_past_fire_times(tick: Any, capsys: Any) -> None:
    ws = _ws(tick)
    tick.run_line_magic("wfb", 'schedule tick --cron "0 * * * *" n=1')
    tick.run_line_magic(
        "wfb", "schedule tick --backfill 2026-01-05T02:30 2026-01-05T05:30 --overlap allow-all"
    )
    assert "Backfilling 'tick' from 2026-01-05T02:30 to 2026-01-05T05:30" in capsys.readouterr().out

    def backfilled() -> list[str]:
        done = [
            r.workflow_id for r in ws.runs.list("tick") if r.schedule_id and r.status == "completed"
        ]
        return done if len(done) >= 3 else []

    runs = _wait_for(backfilled, "three backfilled runs recorded")
    assert sorted(run[-9:] for run in runs) == ["03:00:00Z", "04:00:00Z", "05:00:00Z"]
