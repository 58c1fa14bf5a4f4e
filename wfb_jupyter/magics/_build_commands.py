"""``%wfb`` subcommands about definitions: project, build, versions, activate, diff, code, components, server."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from wfb_jupyter.magics._context import CommandContext, display_html
from wfb_jupyter.magics._errors import CommandParser
from wfb_jupyter.services import CODE_KINDS, COMPONENT_COLUMNS, VERSION_COLUMNS, text_table

if TYPE_CHECKING:
    from wfb_jupyter.services import VersionInfo


def project(ctx: CommandContext, argv: list[str]) -> None:
    parser = CommandParser("%wfb project", "show, create, switch or list projects")
    parser.add_argument("action", nargs="?", choices=["create", "use", "list"])
    parser.add_argument("name", nargs="?")
    args = parser.parse_args(argv)
    ws = ctx.workspace
    if args.action in ("create", "use") and not args.name:
        raise UsageError(f"%wfb project {args.action} needs a project name")
    if args.action == "create":
        info = ws.projects.create(args.name)
        print(
            f"Created project {info.name!r} (task queue {info.task_queue!r}); it is now the current project."
        )
    elif args.action == "use":
        info = ws.projects.use(args.name)
        print(f"Current project: {info.name!r} (task queue {info.task_queue!r}).")
    elif args.action == "list":
        current = ws.settings.project
        rows = [
            ["*" if p.name == current else "", p.name, p.task_queue] for p in ws.projects.list()
        ]
        print(text_table(["", "project", "task queue"], rows) or "No projects yet.")
    else:
        info = ws.projects.current()
        print(
            f"Current project: {info.name!r} (user {info.user_id!r}, task queue {info.task_queue!r})."
        )


def build(ctx: CommandContext, argv: list[str]) -> None:
    parser = CommandParser("%wfb build", "build a definition from a file or a notebook variable")
    parser.add_argument(
        "source", help="a file path, or a variable holding the definition (its text, or a dict)"
    )
    parser.add_argument("--name")
    parser.add_argument("--project")
    parser.add_argument("--no-activate", action="store_true")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    value = ctx.namespace.get(args.source)
    if isinstance(value, str):
        text = value
    elif isinstance(value, Mapping):
        text = _definition_text(args.source, value)
    elif Path(args.source).is_file():
        text = Path(args.source).read_text(encoding="utf-8")
    else:
        raise UsageError(
            f"{args.source!r} is neither a file nor a notebook variable holding a definition "
            "(its text, or a dict)"
        )
    from wfb_jupyter.magics._workflow import build_and_show

    build_and_show(ctx, args.name, text, project=args.project, activate=not args.no_activate,
                   dry_run=args.dry_run, first_line=1)  # fmt: skip


def _definition_text(variable: str, definition: Mapping[str, Any]) -> str:
    """A definition given as a dict, as the YAML text the build stores (in the dict's own key order)."""
    import yaml

    try:
        return str(yaml.safe_dump(dict(definition), sort_keys=False, allow_unicode=True))
    except yaml.YAMLError as error:
        raise UsageError(
            f"the dict in {variable!r} holds something a definition cannot: {error}"
        ) from None


def versions(ctx: CommandContext, argv: list[str]) -> None:
    parser = CommandParser("%wfb versions", "list a workflow's versions")
    parser.add_argument("name")
    args = parser.parse_args(argv)
    rows = [v.row() for v in ctx.workspace.versions.list(args.name)]
    print(f"Versions of {args.name!r}:")
    print(text_table(VERSION_COLUMNS, rows))


def history(ctx: CommandContext, argv: list[str]) -> Any:
    parser = CommandParser(
        "%wfb history", "the version history widget: diff, activate and roll back"
    )
    parser.add_argument("name")
    args = parser.parse_args(argv)
    from wfb_jupyter.widgets import VersionHistory

    return VersionHistory(ctx.workspace, args.name)


def activate(ctx: CommandContext, argv: list[str]) -> None:
    parser = CommandParser("%wfb activate", "make a version the one new executions use")
    parser.add_argument("name")
    parser.add_argument("version", type=_version)
    args = parser.parse_args(argv)
    _show_activation(
        ctx, args.name, lambda: ctx.workspace.versions.activate(args.name, args.version)
    )


def rollback(ctx: CommandContext, argv: list[str]) -> None:
    parser = CommandParser(
        "%wfb rollback",
        "go back to the version active before (or to VERSION): %wfb rollback NAME [VERSION]",
    )
    parser.add_argument("name")
    parser.add_argument("version", type=_version, nargs="?")
    args = parser.parse_args(argv)
    _show_activation(
        ctx, args.name, lambda: ctx.workspace.versions.rollback(args.name, args.version)
    )


def _show_activation(ctx: CommandContext, name: str, activate: Callable[[], VersionInfo]) -> None:
    before = next((v.version for v in ctx.workspace.versions.list(name) if v.active), None)
    info = activate()
    if before == info.version:
        print(f"{name!r} v{info.version} was already active.")
    else:
        print(
            f"{name!r} v{info.version} is now active (was v{before}); new executions use it, "
            "running ones finish on their own version."
        )


def diff(ctx: CommandContext, argv: list[str]) -> None:
    parser = CommandParser("%wfb diff", "compare the generated code of two versions")
    parser.add_argument("name")
    parser.add_argument("old", type=_version)
    parser.add_argument("new", type=_version)
    parser.add_argument("--which", default="workflow", choices=_code_kinds())
    parser.add_argument("--html", action="store_true", help="side by side")
    args = parser.parse_args(argv)
    result = ctx.workspace.versions.diff(args.name, args.old, args.new, args.which)
    if args.html and result.changed:
        display_html(result.html())
    else:
        print(result)


def code(ctx: CommandContext, argv: list[str]) -> None:
    parser = CommandParser("%wfb code", "show the generated code of a version")
    parser.add_argument("name")
    parser.add_argument("--version", type=_version)
    parser.add_argument("--which", default="workflow", choices=_code_kinds())
    args = parser.parse_args(argv)
    print(ctx.workspace.versions.code(args.name, args.version, args.which), end="")


def components(ctx: CommandContext, argv: list[str]) -> None:
    CommandParser("%wfb components", "list the components workflows can call").parse_args(argv)
    rows = [c.row() for c in ctx.workspace.versions.components()]
    print(text_table(COMPONENT_COLUMNS, rows))


def server(ctx: CommandContext, argv: list[str]) -> None:
    CommandParser("%wfb server", "which Temporal server is in use").parse_args(argv)
    resolved = ctx.workspace.server()
    print(resolved.describe())
    link = ctx.workspace.runs.link()
    if link:
        print(f"Executions of project {ctx.workspace.projects.current().name!r}: {link}")
    if resolved.kind == "local":
        print("Manage it from a shell with `wfb server status | logs | stop`.")
    if resolved.ui_url:
        display_html(f'<a href="{_attr(resolved.ui_url)}" target="_blank">Temporal Web UI</a>')


def _version(text: str) -> int:
    cleaned = text.lower().removeprefix("v")
    if not cleaned.isdigit() or int(cleaned) < 1:
        raise UsageError(f"{text!r} is not a version number (1, 2, ... or v1, v2, ...)")
    return int(cleaned)


def _code_kinds() -> tuple[str, ...]:
    return CODE_KINDS


def _attr(value: Any) -> str:
    import html

    return html.escape(str(value), quote=True)
