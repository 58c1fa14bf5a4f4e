"""``wfb server``: a standalone embedded Temporal service on loopback."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

NOT_DURABLE = "In memory and not durable: every workflow and history is lost when it stops."


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "server",
        help="run the embedded Temporal service on 127.0.0.1 (in memory, not durable)",
        description=f"Run the embedded Temporal service on 127.0.0.1. {NOT_DURABLE}",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port to listen on (default: a free one)"
    )
    parser.add_argument(
        "--namespace",
        action="append",
        default=[],
        metavar="NAME",
        help="register a namespace besides 'default' (repeatable)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from wfb_jupyter.cli import CommandError

    if not 0 <= args.port <= 65535:
        raise CommandError(f"--port {args.port} is not a TCP port (0-65535)")
    try:
        asyncio.run(_serve(args.port, ["default", *args.namespace]))
    except OSError as error:
        raise CommandError(
            f"cannot listen on 127.0.0.1:{args.port}: {error.strerror or error}"
        ) from error
    except RuntimeError as error:
        # grpc reports a port it cannot bind as a RuntimeError ("Failed to bind to address ...").
        if "bind" not in str(error).lower():
            raise
        raise CommandError(f"cannot listen on 127.0.0.1:{args.port}: the port is in use") from error
    return 0


async def _serve(port: int, namespaces: list[str]) -> None:
    from wfb_jupyter.temporal.embedded import EmbeddedTemporalService

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with EmbeddedTemporalService(port=port, namespaces=dict.fromkeys(namespaces)) as service:
        print(f"Embedded Temporal service listening on {service.address}", flush=True)
        print(f"Namespaces: {', '.join(dict.fromkeys(namespaces))}. {NOT_DURABLE}", flush=True)
        print("Use it with: TEMPORAL_ADDRESS=" + service.address + "  (Ctrl-C to stop)", flush=True)
        await stop.wait()
        print("Stopping the embedded Temporal service.", file=sys.stderr, flush=True)
