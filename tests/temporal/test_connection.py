"""Connection manager and server resolution, against the real Temporal server."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from wfb_jupyter.temporal import (
    LocalServer,
    TemporalConnection,
    TemporalSettings,
    TemporalUnavailableError,
    resolve_server,
)
from wfb_jupyter.temporal._probe import port_answers, probe, split_address
from wfb_jupyter.temporal._resolution import guess_ui_url


def closed_address() -> str:
    """A loopback address where nothing listens (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def not_temporal() -> Iterator[str]:
    """A TCP server that accepts connections and says nothing Temporal would."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    server.close()


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
    assert report.latency_ms is not None and report.server_version
    assert await manager.get_client() is await manager.get_client()
    await manager.close()


def test_pinned_server_links_to_its_web_ui() -> None:
    server = resolve_server(TemporalSettings("temporal.example.com:7233"))
    assert server.ui_url == "http://temporal.example.com:8233"
    assert server.execution_url("order 1", "r1") == (
        "http://temporal.example.com:8233/namespaces/default/workflows/order%201/r1/history"
    )
    cloud = resolve_server(TemporalSettings("prod.a1b2c.tmprl.cloud:7233", "prod.a1b2c"))
    assert cloud.ui_url == "https://cloud.temporal.io"
    chosen = resolve_server(TemporalSettings("h:7233", ui_url="https://ui.example.com/"))
    assert chosen.ui_url == "https://ui.example.com"
    hidden = resolve_server(TemporalSettings("h:7233", ui_url="off"))
    assert hidden.ui_url is None and hidden.execution_url("x") is None
    assert "Web UI" not in hidden.describe()


def test_existing_server_at_default_address_is_used_and_said(
    temporal_address: str, tmp_path: Path
) -> None:
    settings = TemporalSettings(None, default_address=temporal_address, data_dir=tmp_path)
    server = resolve_server(settings)
    assert server.kind == "existing"
    assert server.address == temporal_address
    assert server.ui_url == guess_ui_url(temporal_address)
    assert "already running at" in server.describe()
    assert not (tmp_path / "temporal" / "server.json").exists()  # nothing started


def test_local_server_started_when_nothing_answers(tmp_path: Path) -> None:
    settings = TemporalSettings(None, default_address=closed_address(), data_dir=tmp_path)
    try:
        server = resolve_server(settings)
        assert server.kind == "local" and server.local is not None
        assert server.local.started_now
        host, port = split_address(server.address)
        assert host == "127.0.0.1" and port != 7233
        assert probe(server.address).temporal
        assert server.ui_url and server.ui_url.startswith("http://127.0.0.1:")
        assert f"the local Temporal server at {server.address} (started now; data in " in (
            server.describe()
        )
        again = resolve_server(settings)
        assert again.kind == "local" and again.address == server.address
        assert again.local is not None and not again.local.started_now
    finally:
        LocalServer(tmp_path).stop()
    assert not port_answers(server.address)


def test_running_local_server_comes_before_the_default_address(
    temporal_address: str, tmp_path: Path
) -> None:
    local = LocalServer(tmp_path)
    try:
        started = local.ensure()
        settings = TemporalSettings(None, default_address=temporal_address, data_dir=tmp_path)
        server = resolve_server(settings)
        assert (server.kind, server.address) == ("local", started.address)
    finally:
        local.stop()


def test_something_else_at_the_default_address_is_left_alone(
    not_temporal: str, tmp_path: Path
) -> None:
    assert probe(not_temporal).answer == "other"
    try:
        server = resolve_server(
            TemporalSettings(None, default_address=not_temporal, data_dir=tmp_path)
        )
        assert server.kind == "local"
        assert f"something that is not Temporal listens at {not_temporal}" in server.describe()
    finally:
        LocalServer(tmp_path).stop()


def test_malformed_address_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="host:port"):
        split_address("localhost")
    with pytest.raises(ValueError, match="host:port"):
        resolve_server(TemporalSettings("localhost"))
