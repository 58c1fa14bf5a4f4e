"""The ``wfb`` command line. Each subcommand lives in its own module and imports heavy things only when run."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

# Modules that define a subcommand through ``register(subparsers)``; listed here so `wfb --help` shows them all.
SUBCOMMAND_MODULES = (
    "wfb_jupyter.cli._server",
    "wfb_jupyter.cli._demo",
    "wfb_jupyter.cli._worker",
    "wfb_jupyter.cli._db",
    "wfb_jupyter.cli._export",
    "wfb_jupyter.cli._payloads",
)


class CommandError(Exception):
    """A user mistake or an unreachable dependency: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wfb", description="wfb-jupyter: notebook-native workflows on Temporal."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for module_name in SUBCOMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CommandError as error:
        print(f"wfb {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def console() -> NoReturn:
    """The ``wfb`` executable: ``main``, then an exit that skips the interpreter's teardown.

    The Temporal SDK's native threads can still be running when CPython finalizes, and then the process
    aborts (SIGABRT, "PyGILState_Release: thread state ... must be current", temporalio/sdk-python#300)
    after the command has done its work. Everything worth keeping is flushed first.
    """
    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    console()
