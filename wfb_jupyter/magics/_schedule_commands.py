"""``%wfb`` subcommands for runs that start without a cell: schedule, schedules, and rerun."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError

from wfb_jupyter.magics._context import CommandContext
from wfb_jupyter.magics._errors import CommandParser

_ACTIONS = ("pause", "resume", "trigger", "delete", "backfill")
# What a trigger does while a run of the schedule is still going, by overlap policy.
_WHILE_ONE_RUNS = {
    "skip": " (skipped if a run of it is still going: overlap skip)",
    "buffer-one": " (after the run still going, if any: overlap buffer-one)",
    "buffer-all": " (after the runs still going, if any: overlap buffer-all)",
    "cancel-other": " (a run still going is cancelled first: overlap cancel-other)",
    "terminate-other": " (a run still going is terminated: overlap terminate-other)",
}


def schedule(ctx: CommandContext, argv: list[str]) -> None:
    parser = CommandParser(
        "%wfb schedule",
        "create or replace a workflow's schedule: %wfb schedule NAME --every 15m | --cron \"0 7 * * "
        'MON-FRI" [--timezone Europe/Paris] [key=value ...]; act on it: --pause | --resume | '
        "--trigger | --delete | --backfill START END; show it: %wfb schedule NAME",
    )
    parser.add_argument("name")
    parser.add_argument("assignments", nargs="*", metavar="key=value")
    parser.add_argument("--every", metavar="INTERVAL", help="15m, 1h30m, 1d ...")
    parser.add_argument("--cron", metavar="CRON", help='five fields, e.g. "0 7 * * MON-FRI"')
    parser.add_argument("--timezone", metavar="TZ", help="an IANA name (default UTC)")
    parser.add_argument("--inputs", metavar="VARIABLE", help="a notebook variable holding a dict")
    parser.add_argument(
        "--version", type=int, help="pin a version (default: follow the active one)"
    )
    parser.add_argument(
        "--overlap",
        help="when a run is due while one runs: skip (the default), buffer-one, buffer-all, "
        "cancel-other, terminate-other, allow-all",
    )
    parser.add_argument("--catchup", metavar="WINDOW", help="how late a missed fire may run (1h)")
    actions = parser.add_mutually_exclusive_group()
    for action in _ACTIONS[:-1]:
        actions.add_argument(f"--{action}", action="store_true")
    actions.add_argument("--backfill", nargs=2, metavar=("START", "END"))
    # Intermixed: key=value pairs may come before or after the options.
    args = parser.parse_intermixed_args(argv)
    ws = ctx.workspace
    chosen = [action for action in _ACTIONS if getattr(args, action)]
    creating = args.every is not None or args.cron is not None
    if chosen and (creating or args.assignments or args.inputs):
        raise UsageError(
            f"--{chosen[0]} acts on the schedule as it is; to change when it fires or its inputs, "
            f"create it again: %wfb schedule {args.name} --every INTERVAL | --cron CRON [key=value ...]"
        )
    if chosen:
        _act(ctx, args.name, chosen[0], args.backfill, args.overlap)
        return
    if not creating:
        if args.assignments or args.inputs:
            raise UsageError(
                f"say when it fires: %wfb schedule {args.name} --every 15m (or --cron "
                '"0 7 * * MON-FRI") key=value ...'
            )
        print(ws.schedules.get(args.name))
        return
    from wfb_jupyter.magics._inputs import namespace_inputs, parse_assignments

    schema = ws.versions.manifest(args.name, args.version).get("input_schema", {})
    values = namespace_inputs(args.inputs, ctx.namespace) if args.inputs else {}
    values.update(parse_assignments(args.assignments, schema, ctx.namespace))
    info = ws.schedules.create(
        args.name,
        values,
        every=args.every,
        cron=args.cron,
        timezone=args.timezone,
        version=args.version,
        overlap=args.overlap or "skip",
        catchup_window=args.catchup,
    )
    print(info.summary())
    if not any(w.mode == "sidecar" and w.status == "running" for w in ws.workers.list()):
        print(
            "  Its runs need the project's worker: the one in this kernel serves them while the "
            "kernel runs; `%wfb workers start --sidecar` keeps one serving with no notebook open."
        )


def _act(
    ctx: CommandContext, name: str, action: str, window: list[str] | None, overlap: str | None
) -> None:
    schedules = ctx.workspace.schedules
    if action == "pause":
        schedules.pause(name, note="paused from the notebook")
        print(f"Paused the schedule of {name!r}; %wfb schedule {name} --resume starts it again.")
    elif action == "resume":
        info = schedules.resume(name)
        upcoming = info.local_time(info.next_fire_times[0]) if info.next_fire_times else "none"
        print(f"Resumed the schedule of {name!r}; next fire time: {upcoming}.")
    elif action == "trigger":
        info = schedules.trigger(name)
        policy = _WHILE_ONE_RUNS.get(info.overlap, "")
        print(
            f"Triggered {name!r}: a run starts now{policy}; the project's worker records it, "
            f"`%wfb executions {name}` lists it."
        )
    elif action == "delete":
        existed = schedules.delete(name)
        gone = "" if existed else " (Temporal no longer had it)"
        print(f"Deleted the schedule of {name!r}{gone}; runs it started go on.")
    else:
        assert window is not None
        start, end = window
        schedules.backfill(name, start, end, overlap)  # --overlap, when given, is the backfill's
        print(
            f"Backfilling {name!r} from {start} to {end}: Temporal starts now the runs those fire "
            f"times would have started (overlap policy: {overlap or 'as the schedule has it'})."
        )


def schedules(ctx: CommandContext, argv: list[str]) -> Any:
    parser = CommandParser("%wfb schedules", "the project's schedules with their next fire times")
    parser.add_argument("--panel", action="store_true", help="a widget to pause, resume, trigger")
    args = parser.parse_args(argv)
    ws = ctx.workspace
    if args.panel:
        from wfb_jupyter.widgets import SchedulePanel

        return SchedulePanel(ws)
    from wfb_jupyter.services import SCHEDULE_COLUMNS, text_table

    listed = ws.schedules.list()
    if not listed:
        print(
            f"No schedules in project {ws.projects.current().name!r}; create one with "
            "%wfb schedule NAME --every 15m (or --cron CRON)."
        )
        return None
    print(text_table(SCHEDULE_COLUMNS, [info.row() for info in listed]))
    for info in listed:
        if info.problem:
            print(f"{info.workflow}: {info.problem}")
    return None


def rerun(ctx: CommandContext, argv: list[str]) -> None:
    parser = CommandParser(
        "%wfb rerun",
        "re-run an execution from a step (default: the step that failed): %wfb rerun ID "
        "[--from STEP] [--wait]",
    )
    parser.add_argument("workflow_id", nargs="?")
    parser.add_argument("--from", dest="from_step", metavar="STEP")
    parser.add_argument("--force", action="store_true", help="re-run a running execution now")
    parser.add_argument("--wait", action="store_true", help="block until it ends, show the result")
    parser.add_argument("--timeout", type=float, help="seconds to wait with --wait")
    args = parser.parse_args(argv)
    original = ctx.execution(args.workflow_id)
    started = original.rerun(args.from_step, force=args.force)
    ctx.last_execution = started
    plan = started.rerun_plan
    assert plan is not None
    print(
        f"Re-running {started.workflow_id} ({started.workflow_name} v{started.version}) from step "
        f"{plan.step!r}: new run {started.run_id}"
    )
    print(f"  kept, not run again: {', '.join(plan.kept_steps) or 'nothing'}")
    if plan.terminated_original:
        print(f"  its running run {plan.original_run_id} was terminated")
    link = started.link
    if link:
        print(f"  {link}")
    if not args.wait:
        return
    outcome = started.wait(args.timeout)
    if outcome.status != "completed":
        raise UsageError(f"execution {started.workflow_id} ended {outcome.status}: {outcome.error}")
    from wfb_jupyter.magics._run_commands import _show

    print(f"Completed: {_show(outcome.result)}")
