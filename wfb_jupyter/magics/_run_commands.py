"""``%wfb`` subcommands about executions and workers: run, form, status, result, signal, update, query,
cancel, terminate, executions, workers, stats."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import Any

from IPython.core.error import UsageError

from wfb_jupyter.magics._context import CommandContext
from wfb_jupyter.magics._errors import CommandParser
from wfb_jupyter.services import EXECUTION_COLUMNS, text_table


def run(ctx: CommandContext, argv: list[str]) -> Any:
    parser = CommandParser("%wfb run", "start an execution: %wfb run NAME key=value ... [--wait]")
    parser.add_argument("name")
    parser.add_argument("assignments", nargs="*", metavar="key=value")
    parser.add_argument("--inputs", metavar="VARIABLE", help="a notebook variable holding a dict")
    parser.add_argument("--version", type=int)
    parser.add_argument("--id", dest="workflow_id", help="the workflow id (default: generated)")
    parser.add_argument("--wait", action="store_true", help="block until it ends, show the result")
    parser.add_argument("--timeout", type=float, help="seconds to wait with --wait")
    args = parser.parse_args(argv)
    from wfb_jupyter.magics._inputs import namespace_inputs, parse_assignments

    ws = ctx.workspace
    schema = ws.versions.manifest(args.name, args.version).get("input_schema", {})
    values = namespace_inputs(args.inputs, ctx.namespace) if args.inputs else {}
    values.update(parse_assignments(args.assignments, schema, ctx.namespace))
    started = ws.run(args.name, values, version=args.version, workflow_id=args.workflow_id)
    ctx.last_execution = started
    print(
        f"Started {started.workflow_name!r} v{started.version}: workflow id {started.workflow_id}"
    )
    link = started.link
    if link:
        print(f"  {link}")
    if not args.wait:
        return None
    outcome = started.wait(args.timeout)
    if outcome.status != "completed":
        raise UsageError(f"execution {started.workflow_id} ended {outcome.status}: {outcome.error}")
    print(f"Completed: {_show(outcome.result)}")
    return None


def form(ctx: CommandContext, argv: list[str]) -> Any:
    parser = CommandParser("%wfb form", "a run form for the workflow's input, with live status")
    parser.add_argument("name")
    args = parser.parse_args(argv)
    from wfb_jupyter.widgets import RunForm

    return RunForm(ctx.workspace, args.name)


def status(ctx: CommandContext, argv: list[str]) -> Any:
    parser = CommandParser("%wfb status", "where an execution is: %wfb status [ID] [--graph]")
    parser.add_argument("workflow_id", nargs="?")
    parser.add_argument(
        "--graph", action="store_true", help="also return the workflow graph coloured by the run"
    )
    args = parser.parse_args(argv)
    execution = ctx.execution(args.workflow_id)
    state = execution.status()
    manifest = ctx.workspace.versions.manifest(execution.workflow_name, execution.version)
    print(describe_state(state, manifest))
    link = execution.link
    if link:
        print(f"  Web UI: {link}")
    if not args.graph:
        return None
    from IPython.display import SVG

    from wfb_jupyter.widgets import workflow_graph_svg

    drawn = execution.graph(state)
    return SVG(
        workflow_graph_svg(drawn.definition_source, states=drawn.steps, run_status=drawn.status)
    )


def result(ctx: CommandContext, argv: list[str]) -> Any:
    parser = CommandParser("%wfb result", "wait for an execution's result and return it")
    parser.add_argument("workflow_id", nargs="?")
    parser.add_argument("--timeout", type=float)
    args = parser.parse_args(argv)
    return ctx.execution(args.workflow_id).result(args.timeout)


def _message_command(name: str, usage: str, argv: list[str]) -> argparse.Namespace:
    """The arguments every message command takes: its name, key=value payload fields, --inputs, --id."""
    parser = CommandParser(f"%wfb {name}", usage)
    parser.add_argument(name)  # the signal or update, read as args.signal / args.update
    parser.add_argument("assignments", nargs="*", metavar="key=value")
    parser.add_argument("--inputs", metavar="VARIABLE", help="a notebook variable holding a dict")
    parser.add_argument("--id", dest="workflow_id")
    return parser.parse_args(argv)


def _message_payload(
    ctx: CommandContext, args: argparse.Namespace, schema: dict[str, Any]
) -> dict[str, Any] | None:
    """The payload the command gives (None when it gives none), fields converted by ``schema``."""
    from wfb_jupyter.magics._inputs import namespace_inputs, parse_assignments

    if not (args.inputs or args.assignments):
        return None
    payload = namespace_inputs(args.inputs, ctx.namespace) if args.inputs else {}
    payload.update(parse_assignments(args.assignments, schema, ctx.namespace))
    return payload


def signal(ctx: CommandContext, argv: list[str]) -> None:
    args = _message_command(
        "signal",
        "send a signal: %wfb signal NAME [key=value ...] [--inputs VARIABLE] [--id ID]",
        argv,
    )
    execution = ctx.execution(args.workflow_id)
    payload = _message_payload(ctx, args, execution.signal_schema(args.signal) or {})
    note = execution.signal(args.signal, payload)
    print(f"Sent {args.signal!r} to {execution.workflow_id}.")
    if note:
        print(f"Note: {note}.")


def update(ctx: CommandContext, argv: list[str]) -> Any:
    args = _message_command(
        "update",
        "send an update and show the answer: %wfb update NAME [key=value ...] [--inputs VARIABLE] "
        "[--id ID]",
        argv,
    )
    execution = ctx.execution(args.workflow_id)
    payload = _message_payload(ctx, args, execution.update_schema(args.update) or {})
    outcome = execution.update(args.update, payload)
    if outcome.accepted:
        print(f"Accepted {args.update!r}.")
        return outcome.result
    print(f"Refused {args.update!r}: {outcome.message}")
    return None


def query(ctx: CommandContext, argv: list[str]) -> Any:
    parser = CommandParser("%wfb query", "ask a running execution: %wfb query NAME [--id ID]")
    parser.add_argument("query")
    parser.add_argument("arguments", nargs="*")
    parser.add_argument("--id", dest="workflow_id")
    args = parser.parse_args(argv)
    values = [_json_or_text(a) for a in args.arguments]
    return ctx.execution(args.workflow_id).query(args.query, *values)


def cancel(ctx: CommandContext, argv: list[str]) -> None:
    parser = CommandParser("%wfb cancel", "ask an execution to cancel")
    parser.add_argument("workflow_id", nargs="?")
    args = parser.parse_args(argv)
    execution = ctx.execution(args.workflow_id)
    execution.cancel()
    print(f"Asked {execution.workflow_id} to cancel.")


def terminate(ctx: CommandContext, argv: list[str]) -> None:
    parser = CommandParser("%wfb terminate", "stop an execution at once")
    parser.add_argument("workflow_id", nargs="?")
    parser.add_argument("--reason", default="terminated from the notebook")
    args = parser.parse_args(argv)
    execution = ctx.execution(args.workflow_id)
    execution.terminate(args.reason)
    print(f"Terminated {execution.workflow_id}.")


def executions(ctx: CommandContext, argv: list[str]) -> None:
    parser = CommandParser("%wfb executions", "the latest executions of the project")
    parser.add_argument("name", nargs="?")
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args(argv)
    rows = [e.row() for e in ctx.workspace.runs.list(args.name, args.limit)]
    print(text_table(EXECUTION_COLUMNS, rows) or "No executions yet.")
    link = ctx.workspace.runs.link(args.name)
    if rows and link:
        print(f"In the Web UI: {link}")


def workers(ctx: CommandContext, argv: list[str]) -> Any:
    parser = CommandParser(
        "%wfb workers", "the project's workers: status, start, stop, restart, panel"
    )
    parser.add_argument("action", nargs="?", default="status",
                        choices=["status", "start", "stop", "restart", "panel"])  # fmt: skip
    parser.add_argument("--sidecar", action="store_true", help="a sidecar process, not this kernel")
    args = parser.parse_args(argv)
    ws = ctx.workspace
    if args.action == "panel":
        from wfb_jupyter.widgets import WorkerPanel

        return WorkerPanel(ws)
    if args.action == "start":
        started = ws.workers.start(sidecar=args.sidecar)
        print(f"Started: {_describe_worker(started)}")
    elif args.action == "stop":
        for stopped in ws.workers.stop(sidecar=args.sidecar):
            print(f"Stopped the {stopped.mode} worker (pid {stopped.pid}).")
    elif args.action == "restart":
        if args.sidecar:
            raise UsageError(
                "restart a sidecar with %wfb workers stop --sidecar, then start --sidecar"
            )
        print(f"Restarted: {_describe_worker(ws.workers.restart())}")
    else:
        statuses = ws.workers.list()
        if not statuses:
            print(
                f"No worker has served project {ws.projects.current().name!r}; "
                "start one with %wfb workers start."
            )
        for worker in statuses:
            print(_describe_worker(worker))
    return None


def stats(ctx: CommandContext, argv: list[str]) -> Any:
    parser = CommandParser(
        "%wfb stats", "the statistics dashboard, or (--table) the summary as a DataFrame"
    )
    parser.add_argument("name", nargs="?", help="one workflow (default: the whole project)")
    parser.add_argument("--table", action="store_true", help="return the summary DataFrame instead")
    parser.add_argument(
        "--timeline", metavar="ID", help="the Gantt chart of one execution ('last': the last run)"
    )
    args = parser.parse_args(argv)
    ws = ctx.workspace
    if args.timeline:
        execution = ctx.execution(None if args.timeline == "last" else args.timeline)
        return ws.stats.timeline(execution)
    if args.name is not None:
        ws.stats.check_workflow(args.name)
    if args.table:
        return ws.stats.summary(args.name)
    from wfb_jupyter.widgets import StatisticsDashboard

    dashboard = StatisticsDashboard(ws.stats.dashboard_source())
    if args.name:
        dashboard.workflow.value = args.name
    return dashboard


def describe_state(state: Any, manifest: Mapping[str, Any] | None = None) -> str:
    """Where a run is, for people: unnamed steps by what they do (``set done``, not ``set_1``), and pending
    steps without those in branches that were not taken (their holder is done and they never started)."""
    progress = getattr(state, "progress", None) or {}
    labels: Mapping[str, str] = (manifest or {}).get("step_labels", {})
    parents: Mapping[str, str] = (manifest or {}).get("step_parents", {})
    finished = {_stem(run) for run in progress.get("completed_steps", [])}
    finished |= {_stem(run) for run in progress.get("skipped_steps", [])}

    def named(run: str) -> str:
        return labels.get(_stem(run), run)

    def still_to_come(step: str) -> bool:
        holder = parents.get(step)
        while holder is not None:
            if holder in finished:
                return False
            holder = parents.get(holder)
        return True

    lines = [f"{state.workflow_id}: {state.status}"]
    if progress.get("current_step"):
        lines.append(f"  current step: {named(progress['current_step'])}")
    if progress.get("completed_steps"):
        lines.append(f"  completed: {', '.join(map(named, progress['completed_steps']))}")
    pending = [step for step in progress.get("pending_steps", []) if still_to_come(step)]
    if pending and state.status == "running":
        lines.append(f"  pending: {', '.join(map(named, pending))}")
    for activity in getattr(state, "pending_activities", None) or []:
        failure = activity.get("last_failure")
        retry = f", last failure: {failure}" if failure else ""
        lines.append(
            f"  activity {activity.get('activity_type')}: attempt {activity.get('attempt')}{retry}"
        )
    if state.status == "completed":
        lines.append(f"  result: {_show(state.result)}")
    if getattr(state, "error", None):
        lines.append(f"  error: {state.error}")
    if getattr(state, "duration_ms", None) is not None:
        lines.append(f"  duration: {state.duration_ms / 1000:.2f}s")
    if getattr(state, "note", None):
        lines.append(f"  note: {state.note}")
    return "\n".join(lines)


def _stem(run_id: str) -> str:
    """The step of a run id: ``enrich[3]#2`` -> ``enrich``."""
    for marker in ("[", "#"):
        run_id = run_id.split(marker, 1)[0]
    return run_id


def _describe_worker(worker: Any) -> str:
    if worker is None:
        return "started as a sidecar; its record appears with its first heartbeat."
    age = worker.heartbeat_age_seconds
    heartbeat = f", last heartbeat {age:.0f}s ago" if age is not None else ""
    up = f", up {worker.uptime}" if worker.uptime else ""
    versions = ", ".join(worker.loaded_versions) or "nothing yet"
    line = (
        f"{worker.mode} worker pid {worker.pid} on {worker.host}: {worker.status}{up}{heartbeat}; "
        f"task queue {worker.task_queue!r}; serves {versions}"
    )
    return line + (f"; error: {worker.error}" if worker.error else "")


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _show(value: Any) -> str:
    """One line: JSON, with a DataFrame or array as a few words (the value itself is ``.result()``'s)."""
    from wfb_jupyter.conversion import summary
    from wfb_jupyter.payloads import StoredValue

    if isinstance(
        value, StoredValue
    ):  # a result left in the payload store: what its reference says
        return str(value)

    def brief(item: Any) -> str:
        words = summary(item)
        return f"<{words}>" if " " in words else str(item)

    try:
        return json.dumps(value, sort_keys=True, default=brief)
    except (TypeError, ValueError):
        return repr(value)
