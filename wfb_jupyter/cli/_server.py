"""``wfb server start | stop | status | logs``: the managed local Temporal server of a data directory."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wfb_jupyter.temporal import LocalServer

NO_AUTH = (
    "The local server listens on loopback only and has no authentication: anyone who can open a connection "
    "on this host can use it. For shared or sensitive work, point TEMPORAL_ADDRESS at a Temporal cluster "
    "with mTLS or API keys, or at Temporal Cloud."
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "server",
        help="manage the local Temporal server (start, stop, status, logs)",
        description=(
            "Manage the local Temporal server of a data directory: the real `temporal server start-dev` "
            "with its Web UI, its state in a SQLite file, detached so that it outlives notebooks. "
            "Notebooks and workers start it on first need when TEMPORAL_ADDRESS is unset. "
            + NO_AUTH
        ),
    )
    parser.add_argument(
        "action",
        nargs="?",
        default="status",
        choices=("start", "stop", "status", "logs"),
        help="what to do (default: status)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="the data directory (default: WFB_DATA_DIR or the per-user one)",
    )
    parser.add_argument(
        "--foreground",
        action="store_true",
        help="start: run the server attached to this terminal until Ctrl-C (containers, CI)",
    )
    parser.add_argument("--lines", type=int, default=40, help="logs: how many lines (default 40)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from wfb_jupyter.cli import CommandError
    from wfb_jupyter.settings import temporal_settings
    from wfb_jupyter.temporal import ServerStartError, TemporalSettings, local_server

    settings = temporal_settings()
    if args.data_dir is not None:
        settings = TemporalSettings(
            None,
            settings.namespace,
            data_dir=args.data_dir,
            cli_path=settings.cli_path,
            local_port=settings.local_port,
        )
    server = local_server(settings)
    try:
        if args.action == "start":
            if args.foreground:
                print(
                    f"Starting the local Temporal server of {server.directory} in the foreground."
                )
                print(NO_AUTH, flush=True)
                server.run_foreground()
            status = server.ensure()
            print(
                status.describe() if status.started_now else f"Already running. {status.describe()}"
            )
            if status.note:
                print(f"Note: {status.note}.")
            print(f"Use it from a shell with: TEMPORAL_ADDRESS={status.address}")
            return 0
        if args.action == "stop":
            stopped = server.stop()
            print(
                f"Stopped the local Temporal server of {server.directory}; its history is kept."
                if stopped
                else f"The local Temporal server of {server.directory} was not running."
            )
            return 0
        if args.action == "logs":
            tail = server.log_tail(max(args.lines, 1))
            print(tail or f"No log yet ({server.files.log}).")
            return 0
    except ServerStartError as error:
        raise CommandError(str(error)) from error
    return _status(server)


def _status(server: LocalServer) -> int:
    status = server.status()
    print(status.describe())
    if status.running:
        uptime = time.time() - (status.started_at or time.time())
        print(f"  address: {status.address}  (TEMPORAL_ADDRESS={status.address})")
        print(f"  Web UI:  {status.ui_url}")
        print(
            f"  uptime:  {_duration(uptime)}; server {status.server_version or '?'}; CLI {status.cli}"
        )
    print(f"  data:    {server.files.database}")
    print(f"  log:     {server.files.log}")
    return 0 if status.running else 3


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"
