"""How magics report a user's mistake: one ``UsageError`` message, no traceback, with the command to type next."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from IPython.core.error import UsageError

from wfb_jupyter.errors import WfbError

F = TypeVar("F", bound=Callable[..., Any])


class CommandParser(argparse.ArgumentParser):
    """An argparse parser for one ``%wfb`` subcommand whose mistakes are ``UsageError``s, not exits."""

    def __init__(self, prog: str, description: str = "") -> None:
        super().__init__(prog=prog, description=description, add_help=False, allow_abbrev=False)

    def error(self, message: str) -> NoReturn:
        required = "the following arguments are required: "
        if message.startswith(required):
            # argparse lists positionals that take any number of values (key=value ...) as required too.
            optional = {
                action.metavar or action.dest
                for action in self._actions
                if not action.option_strings and action.nargs in ("*", "?", argparse.REMAINDER)
            }
            missing = [
                name for name in message[len(required) :].split(", ") if name not in optional
            ]
            message = required + ", ".join(missing)
        raise UsageError(f"{message}\nusage: {self.format_usage().removeprefix('usage: ').strip()}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise UsageError(message or f"{self.prog} stopped")


def notebook_message(error: WfbError) -> str:
    """The error's message, with what to type in the notebook next where there is an obvious next step."""
    hint = _hint(error)
    return f"{error}; {hint}" if hint else str(error)


def _hint(error: WfbError) -> str | None:
    # Imported here: each of these packages is heavy, and a magic that failed early may not have loaded them.
    from wfb_jupyter import executions, services

    name = getattr(error, "name", None)
    if isinstance(error, services.UnknownWorkflowNameError):
        return "define it in a %%workflow cell"
    if isinstance(error, services.UnknownVersionError):
        return f"see %wfb versions {name}"
    if isinstance(error, services.ProjectExistsError):
        return f"switch to it with %wfb project use {name}"
    if isinstance(error, services.UnknownProjectError):
        return f"create it with %wfb project create {name}"
    if isinstance(error, services.NoEarlierVersionError):
        return f"choose one with %wfb rollback {name} VERSION (see %wfb versions {name})"
    if isinstance(error, services.NoScheduleError):
        return f"create one with %wfb schedule {name} --every 15m (or --cron CRON)"
    if isinstance(error, executions.ScheduleMissingError):
        return "%wfb schedule NAME --every ... (or --cron ...) makes it again"
    if isinstance(error, executions.RerunRunningError):
        return f"`%wfb rerun {error.workflow_id} --force` re-runs it now"
    if isinstance(error, executions.RerunStepError):
        return "choose one with --from STEP"
    if isinstance(error, services.NoLocalWorkerError):
        return "a sidecar is stopped with %wfb workers stop --sidecar"
    if isinstance(error, executions.NoWorkerError):
        return (
            "start one with `%wfb workers start` in the notebook or "
            f"`wfb worker {error.project_id}` in a terminal"
        )
    if isinstance(error, executions.UnknownWorkflowError) and error.version is None:
        return "define it with a %%workflow cell first"
    if isinstance(error, executions.ExecutionNotFoundError):
        return "`%wfb executions` lists them"
    if isinstance(error, executions.StillRunningError):
        return "`%wfb status` shows where it is"
    return None


def user_errors(function: F) -> F:
    """Turn the errors a user can act on (every ``WfbError``) into one ``UsageError``; anything else keeps
    its traceback, because it is a bug to report."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except UsageError:
            raise
        except WfbError as error:
            raise UsageError(notebook_message(error)) from None

    return wrapper  # type: ignore[return-value]
