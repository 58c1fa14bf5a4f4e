"""The ``%%workflow`` cell magic and the ``%wfb`` line magic."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.utils.process import arg_split  # type: ignore[attr-defined]  # re-exported, untyped

from wfb_jupyter.magics import _build_commands as build_commands
from wfb_jupyter.magics import _run_commands as run_commands
from wfb_jupyter.magics._context import CommandContext
from wfb_jupyter.magics._errors import user_errors
from wfb_jupyter.settings import WfbSettings

Command = Callable[[CommandContext, list[str]], Any]


def _suggestion(command: str) -> str:
    """The commands closest to a mistyped one (by edit distance), or the list of them all."""
    distances = sorted((_distance(command, known), known) for known in COMMANDS)
    best = distances[0][0]
    close = [known for distance, known in distances if distance == best and distance <= 2]
    if not close:
        return f"; commands: {', '.join(COMMANDS)}"
    return "; did you mean " + " or ".join(repr(known) for known in close) + "?"


def _distance(a: str, b: str) -> int:
    """Edit distance with transpositions (``stauts`` is one step from ``status``)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                value = min(value, previous2[j - 2] + 1)
            current.append(value)
        previous2, previous = previous, current
    return previous[-1]


COMMANDS: dict[str, Command] = {
    "project": build_commands.project,
    "build": build_commands.build,
    "versions": build_commands.versions,
    "history": build_commands.history,
    "activate": build_commands.activate,
    "rollback": build_commands.rollback,
    "diff": build_commands.diff,
    "code": build_commands.code,
    "components": build_commands.components,
    "server": build_commands.server,
    "run": run_commands.run,
    "form": run_commands.form,
    "status": run_commands.status,
    "result": run_commands.result,
    "signal": run_commands.signal,
    "update": run_commands.update,
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
    @argument("inputs", nargs="*", metavar="key=value", help="with --test: the run's input")
    @argument("--project", help="build into this project instead of the current one")
    @argument("--no-activate", action="store_true", help="store the version without activating it")
    @argument("--dry-run", action="store_true", help="check and compile only; store nothing")
    @argument(
        "--test", action="store_true",
        help="run once on a time-skipping test server instead of storing (sleeps pass at once)",
    )  # fmt: skip
    @argument(
        "--mock", action="append", default=[], metavar="STEP=JSON", help="pin a step's result"
    )
    @argument(
        "--fail", action="append", default=[], metavar="STEP=MESSAGE", help="make a step fail"
    )
    @argument("--mock-from", metavar="ID", help="pin every step to what execution ID recorded")
    @argument(
        "--run", action="append", default=[], metavar="STEP",
        help="with --mock-from: run this step for real",
    )  # fmt: skip
    @argument(
        "--signal", action="append", default=[], metavar="NAME@WHEN=JSON",
        help="send a signal at a simulated time, e.g. approve@2h='{\"by\": \"ada\"}'",
    )  # fmt: skip
    @argument(
        "--update", action="append", default=[], metavar="NAME@WHEN=JSON", help="send an update"
    )
    @argument("--timeout", type=float, metavar="SECONDS", help="wall-clock limit of a test (60)")
    @cell_magic
    @user_errors
    def workflow(self, line: str, cell: str) -> Any:
        """Define a workflow in YAML or JSON: parse, validate, compile and store a new version, activate it,
        and make the project's worker serve it. An unchanged definition stores nothing. With ``--test``, run
        it once on a time-skipping test server instead, with mocked steps and scripted signals and
        updates, and show the path it took; nothing is stored."""
        from wfb_jupyter.magics._workflow import build_and_show, test_and_show

        # Split as a shell would (JSON in quotes stays one word) and let inputs sit between options.
        parser = self.workflow.parser  # set by @magic_arguments
        args = parser.parse_intermixed_args(arg_split(line, posix=True))
        if args.test:
            return test_and_show(self.context, args, cell)
        testing = ("--mock", "--fail", "--mock-from", "--run", "--signal", "--update", "--timeout")
        given = [
            flag for flag in testing if getattr(args, flag[2:].replace("-", "_")) not in (None, [])
        ]
        if given or args.inputs:
            raise UsageError(
                f"{(given or args.inputs)[0]} goes with --test (a test run); add --test"
            )
        build_and_show(
            self.context, args.name, cell, project=args.project,
            activate=not args.no_activate, dry_run=args.dry_run,
        )  # fmt: skip
        return None

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
        result [ID], signal NAME [key=value ...] [--id ID], update NAME [key=value ...] [--id ID],
        query NAME [--id ID], cancel [ID],
        terminate [ID], executions [NAME], workers [status|start|stop|restart|panel] [--sidecar],
        stats [NAME]. Inputs: ``key=value`` (JSON for non-text fields) or ``key=$variable``.
        """
        words = [self._expand(word) for word in arg_split(line, posix=True)]
        if not words:
            print("%wfb commands: " + ", ".join(COMMANDS) + ". Details: %wfb?")
            return None
        command, argv = words[0], words[1:]
        handler = COMMANDS.get(command)
        if handler is None:
            raise UsageError(f"%wfb has no command {command!r}{_suggestion(command)}")
        return handler(self.context, argv)

    def _expand(self, word: str) -> str:
        """IPython's ``$name`` and ``{expression}`` expansion, word by word, except where the word means
        something of its own: ``key=$name`` passes the notebook object itself (a dict, a DataFrame), and a
        value that is JSON (``{"a": 1}``, ``[1, 2]``) stays as written."""
        key, sep, value = word.partition("=")
        text = value if sep and key.isidentifier() else word
        if text.startswith("$") and text[1:].isidentifier() and sep and key.isidentifier():
            return word
        if "$" not in text and "{" not in text:
            return word
        try:
            json.loads(text)
        except ValueError:
            expanded = self.shell.var_expand(text) if self.shell is not None else text
            return f"{key}={expanded}" if text is value else str(expanded)
        return word
