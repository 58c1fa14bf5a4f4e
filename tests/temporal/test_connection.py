"""Connection manager and server resolution, against real servers (embedded, or a process that looks like the CLI)."""

from __future__ import annotations

import os
import socket
import stat
import sys
import textwrap
from pathlib import Path

import pytest

from wfb_jupyter.temporal import (
    TemporalConnection,
    TemporalSettings,
    TemporalUnavailableError,
    resolve_server,
)
from wfb_jupyter.temporal._resolution import port_answers


def closed_address() -> str:
    """A loopback address where nothing listens (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def no_temporal_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


async def test_unreachable_pinned_address_names_it_after_retrying() -> None:
    address = closed_address()
    settings = TemporalSettings(pinned_address=address, namespace="default")
    manager = TemporalConnection(settings, attempts=3, initial_backoff=0.01)
    with pytest.raises(TemporalUnavailableError) as caught:
        await manager.get_client()
    assert caught.value.address == address
    assert caught.value.attempts == 3
    assert address in str(caught.value) and "TEMPORAL_ADDRESS" in str(caught.value)


async def test_health_of_unreachable_server_is_reported_not_raised() -> None:
    settings = TemporalSettings(pinned_address=closed_address(), namespace="default")
    report = await TemporalConnection(settings, attempts=1).check_health()
    assert not report.ok
    assert report.kind == "pinned"
    assert report.error and "Cannot reach Temporal" in report.error


async def test_pinned_server_is_used_and_healthy(temporal_address: str) -> None:
    manager = TemporalConnection(TemporalSettings(temporal_address, "default"))
    report = await manager.check_health()
    assert report.ok, report.error
    assert (report.kind, report.address) == ("pinned", temporal_address)
    assert report.latency_ms is not None
    assert await manager.get_client() is await manager.get_client()
    await manager.close()


def test_existing_server_at_default_address_is_preferred(
    temporal_address: str, no_temporal_cli: None
) -> None:
    server = resolve_server(TemporalSettings(None, "default", default_address=temporal_address))
    assert server.kind == "existing"
    assert server.address == temporal_address
    assert server.ui_url is not None
    assert "already running" in server.describe()


async def test_embedded_service_when_nothing_answers_and_no_cli(no_temporal_cli: None) -> None:
    settings = TemporalSettings(None, "analytics", default_address=closed_address())
    manager = TemporalConnection(settings)
    server = manager.server()
    try:
        assert server.kind == "embedded"
        assert not server.durable
        assert "not durable" in server.describe()
        assert server.execution_url("wf") is None
        report = await manager.check_health()
        assert report.ok, report.error
        assert report.namespace == "analytics"  # registered on the embedded service for us
    finally:
        await manager.close()
    assert not port_answers(server.address)


FAKE_CLI = """\
#!{python}
# Stands in for the `temporal` CLI: `server start-dev --ip H --port P ...` runs wfb's embedded service on P.
import argparse, os, sys
parser = argparse.ArgumentParser()
parser.add_argument("server"); parser.add_argument("start_dev")
parser.add_argument("--ip"); parser.add_argument("--port"); parser.add_argument("--ui-port")
parser.add_argument("--namespace"); parser.add_argument("--log-level")
args = parser.parse_args()
with open(os.environ["FAKE_CLI_RECORD"], "w") as record:
    record.write(" ".join(sys.argv[1:]))
os.execv(sys.executable, [sys.executable, "-m", "wfb_jupyter", "server", "--port", args.port])
"""


async def test_dev_server_sidecar_when_cli_on_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    cli = bin_dir / "temporal"
    cli.write_text(FAKE_CLI.format(python=sys.executable))
    cli.chmod(cli.stat().st_mode | stat.S_IEXEC)
    record = tmp_path / "argv.txt"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_CLI_RECORD", str(record))

    address = closed_address()
    manager = TemporalConnection(TemporalSettings(None, "default", default_address=address))
    server = manager.server()
    try:
        assert server.kind == "dev-server"
        assert record.read_text().startswith("server start-dev --ip 127.0.0.1 --port ")
        port = int(address.rsplit(":", 1)[1])
        assert server.ui_url == f"http://127.0.0.1:{port + 1000}"
        assert server.execution_url("order 1", "run") == (
            f"http://127.0.0.1:{port + 1000}/namespaces/default/workflows/order%201/run/history"
        )
        report = await manager.check_health()
        assert report.ok, report.error
    finally:
        await manager.close()
    assert not port_answers(address)


def test_malformed_address_is_refused_clearly() -> None:
    from wfb_jupyter.temporal._resolution import split_address

    with pytest.raises(ValueError, match="host:port"):
        split_address("localhost")


def test_fake_cli_text_is_valid_python() -> None:
    compile(textwrap.dedent(FAKE_CLI.format(python=sys.executable)), "fake-cli", "exec")
