"""The ``%%workflow`` cell magic and the ``%wfb`` line magic."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.utils.process import arg_split  # type: ignore[attr-defined]  # re-exported, untyped

from wfb_jupyter.magics import _build_commands as build_commands
from wfb_jupyter.magics import _run_commands as run_commands
from wfb_jupyter.magics._context import CommandContext
from wfb_jupyter.magics._errors import user_errors
from wfb_jupyter.settings import WfbSettings

Command = Callable[[CommandContext, list[str]], Any]

COMMANDS: dict[str, Command] = {
    "project": build_commands.project,
    "build": build_commands.build,
    "versions": build_commands.versions,
    "history": build_commands.history,
    "activate": build_commands.activate,
    "rollback": build_commands.activate,
    "diff": build_commands.diff,
    "code": build_commands.code,
    "components": build_commands.components,
    "server": build_commands.server,
    "run": run_commands.run,
    "form": run_commands.form,
    "status": run_commands.status,
    "result": run_commands.result,
    "signal": run_commands.signal,
    "query": run_commands.query,
    "cancel": run_commands.cancel,
    "terminate": run_commands.terminate,
    "executions": run_commands.executions,
    "workers": run_commands.workers,
    "stats": run_commands.stats,
}


@magics_class
class WorkflowMagics(Magics):
    """Define workflows in cells and drive them from the notebook."""

    def __init__(self, shell: Any, settings: WfbSettings) -> None:
        super().__init__(shell)
        self.settings = settings
        self._context: CommandContext | None = None

    @property
    def context(self) -> CommandContext:
        if self._context is None:
            from IPython.display import display

            from wfb_jupyter._workspace import workspace

            namespace = self.shell.user_ns if self.shell is not None else {}
            self._context = CommandContext(workspace(self.settings), namespace, display)
        return self._context

    @magic_arguments()
    @argument("name", nargs="?", help="the workflow's name (or give `name:` in the definition)")
    @argument("--project", help="build into this project instead of the current one")
    @argument("--no-activate", action="store_true", help="store the version without activating it")
    @argument("--dry-run", action="store_true", help="check and compile only; store nothing")
    @cell_magic
    @user_errors
    def workflow(self, line: str, cell: str) -> None:
        """Define a workflow in YAML or JSON: parse, validate, compile and store a new version, activate it,
        and make the project's worker serve it. An unchanged definition stores nothing."""
        from wfb_jupyter.magics._workflow import build_and_show

        args = parse_argstring(self.workflow, line)
        build_and_show(
            self.context, args.name, cell, project=args.project,
            activate=not args.no_activate, dry_run=args.dry_run,
        )  # fmt: skip

    @magic_arguments()
    @argument("command", nargs="?", help=", ".join(COMMANDS))
    @argument("arguments", nargs=argparse.REMAINDER, help="the command's arguments")
    @no_var_expand
    @line_magic
    @user_errors
    def wfb(self, line: str) -> Any:
        """Everything but defining: ``%wfb COMMAND ...``; ``%wfb`` alone lists the commands.

        project [create|use|list] NAME, build FILE|VARIABLE, versions NAME, history NAME,
        activate NAME VERSION (alias rollback), diff NAME V1 V2 [--which ...] [--html],
        code NAME [--version N] [--which workflow|activities|worker|requirements|definition], components,
        server, run NAME [key=value ...] [--inputs VARIABLE] [--wait], form NAME, status [ID],
        result [ID], signal NAME [key=value ...] [--id ID], query NAME [--id ID], cancel [ID],
        terminate [ID], executions [NAME], workers [status|start|stop|restart|panel] [--sidecar],
        stats [NAME]. Inputs: ``key=value`` (JSON for non-text fields) or ``key=$variable``.
        """
        words = arg_split(line, posix=True)
        if not words:
            print("%wfb commands: " + ", ".join(COMMANDS) + ". Details: %wfb?")
            return None
        command, argv = words[0], words[1:]
        handler = COMMANDS.get(command)
        if handler is None:
            import difflib

            close = difflib.get_close_matches(command, list(COMMANDS), n=1)
            hint = (
                f"; did you mean {close[0]!r}?" if close else f"; commands: {', '.join(COMMANDS)}"
            )
            raise UsageError(f"%wfb has no command {command!r}{hint}")
        return handler(self.context, argv)
