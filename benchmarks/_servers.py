"""Temporal servers for the benchmarks: the product's managed local server, or ``temporal server start-dev``
with its default flags, each in a temporary directory and stopped afterwards."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from wfb_jupyter.temporal import LocalServer, find_temporal_cli
from wfb_jupyter.temporal._probe import probe


@contextlib.contextmanager
def managed_server(directory: Path | None = None) -> Iterator[str]:
    """The local server as the product starts and tunes it; yields its address."""
    with contextlib.ExitStack() as stack:
        data_dir = directory or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        server = LocalServer(data_dir)
        status = server.ensure()
        stack.callback(server.stop)
        assert status.address is not None
        yield status.address


@contextlib.contextmanager
def default_dev_server() -> Iterator[str]:
    """``temporal server start-dev --db-filename F`` with nothing else tuned, as a user would first try it."""
    cli = find_temporal_cli()
    with tempfile.TemporaryDirectory() as directory:
        port, ui_port = free_port(), free_port()
        log = (Path(directory) / "server.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 - the Temporal CLI
            [cli.path, "server", "start-dev", "--db-filename", str(Path(directory) / "t.db"),
             "--ip", "127.0.0.1", "--port", str(port), "--ui-port", str(ui_port),
             "--ui-disable-news-fetch", "--log-level", "warn"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        address = f"127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while not probe(address).temporal:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the default dev server did not start (log: {log.name})")
                time.sleep(0.05)
            yield address
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
