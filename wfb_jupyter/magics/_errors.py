"""How magics report a user's mistake: one ``UsageError`` message, no traceback."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from IPython.core.error import UsageError

F = TypeVar("F", bound=Callable[..., Any])


class CommandParser(argparse.ArgumentParser):
    """An argparse parser for one ``%wfb`` subcommand whose mistakes are ``UsageError``s, not exits."""

    def __init__(self, prog: str, description: str = "") -> None:
        super().__init__(prog=prog, description=description, add_help=False, allow_abbrev=False)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}\nusage: {self.format_usage().removeprefix('usage: ').strip()}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise UsageError(message or f"{self.prog} stopped")


def user_errors(function: F) -> F:
    """Turn the errors a user can act on (bad definitions, unknown names, no worker, Temporal down) into one
    ``UsageError``; anything else keeps its traceback, because it is a bug to report."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from wfb_jupyter.notebook._errors import user_message

        try:
            return function(*args, **kwargs)
        except UsageError:
            raise
        except Exception as error:
            message = user_message(error)
            if message is None:
                raise
            raise UsageError(message) from None

    return wrapper  # type: ignore[return-value]
