"""The managed local Temporal server: one per data directory, detached, durable, and clear when it cannot run.

Each test that starts a server gives it a data directory of its own and stops it at the end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from temporalio.client import Client

from wfb_jupyter.temporal import LocalServer, ServerStartError, TemporalCliError
from wfb_jupyter.temporal._probe import probe


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    LocalServer(tmp_path).stop()


def state_of(data_dir: Path) -> dict[str, object]:
    return json.loads((data_dir / "temporal" / "server.json").read_text())


def write_fake_cli(path: Path, body: str, version: str = "1.9.1") -> Path:
    path.write_text(
        textwrap.dedent(
            f"""\
            #!/bin/sh
            if [ "$1" = "--version" ]; then
                echo "temporal version {version} (Server 1.32.0, UI 2.54.1)"; exit 0
            fi
            {body}
            """
        )
    )
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


async def test_start_reuse_stop_and_start_again_with_history(data_dir: Path) -> None:
    server = LocalServer(data_dir)
    first = server.ensure()
    assert first.running and first.started_now and first.address
    state = state_of(data_dir)
    assert state["pid"] == first.pid and state["cli_version"]
    process = psutil.Process(first.pid)
    assert process.ppid() == os.getpid() and os.getsid(first.pid) != os.getsid(0)  # own session
    assert all(
        conn.laddr.ip == "127.0.0.1"
        for conn in process.net_connections("tcp")
        if conn.status == "LISTEN"
    )

    again = server.ensure()
    assert (again.pid, again.started_now) == (first.pid, False)

    client = await Client.connect(first.address)
    # A workflow with no worker stays open: it is part of the history the restart must keep.
    await client.start_workflow("Nobody", id="kept-across-restarts", task_queue="nobody")

    assert server.stop()
    assert not server.status().running and not probe(first.address).temporal
    assert state_of(data_dir)["pid"] is None
    assert not server.stop()

    restarted = server.ensure()
    assert restarted.started_now and restarted.address == first.address  # same port, same address
    client = await Client.connect(restarted.address)
    description = await client.get_workflow_handle("kept-across-restarts").describe()
    assert description.workflow_type == "Nobody"


def test_a_killed_server_is_started_again_on_next_use(data_dir: Path) -> None:
    server = LocalServer(data_dir)
    first = server.ensure()
    assert first.pid is not None
    os.kill(first.pid, signal.SIGKILL)
    psutil.Process(first.pid).wait(10) if psutil.pid_exists(first.pid) else None
    assert server.running() is None
    second = server.ensure()
    assert second.started_now and second.pid != first.pid and second.address == first.address


def test_two_processes_starting_at_once_get_one_server(data_dir: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from wfb_jupyter.temporal import LocalServer; "
        "print(LocalServer(Path(sys.argv[1])).ensure().pid)"
    )
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(data_dir)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    pids = {process.communicate(timeout=60)[0].strip() for process in starters}
    assert len(pids) == 1 and all(p.returncode == 0 for p in starters)
    servers = [
        p
        for p in psutil.process_iter(["cmdline"])
        if str(data_dir) in " ".join(p.info["cmdline"] or [])
    ]
    assert [str(p.pid) for p in servers] == list(pids)


def test_configured_port_taken_by_something_else_is_a_clear_error(data_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServerStartError) as raised:
            LocalServer(data_dir, port=port).ensure()
    assert (
        f"port {port} (WfbSettings.local_server_port) is taken by a program that is not Temporal"
        in (str(raised.value))
    )
    assert not (data_dir / "temporal" / "server.json").exists()


def test_a_recorded_port_taken_since_moves_the_server_and_says_so(data_dir: Path) -> None:
    server = LocalServer(data_dir)
    port = server.ensure().address.rsplit(":", 1)[1]  # type: ignore[union-attr]
    server.stop()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", int(port)))
        taken.listen()
        moved = server.ensure()
    assert moved.address != f"127.0.0.1:{port}"
    assert (
        moved.note
        and f"its port {port} is now taken by a program that is not Temporal" in moved.note
    )


def test_a_data_directory_that_cannot_hold_the_server(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(
        ServerStartError, match="cannot keep its data in .*a-file/temporal: .*WFB_DATA_DIR"
    ):
        LocalServer(blocker).ensure()


def test_a_state_file_naming_a_dead_pid_is_started_afresh(data_dir: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (data_dir / "temporal").mkdir()
    (data_dir / "temporal" / "server.json").write_text(
        json.dumps(
            {
                "port": 0,
                "ui_port": 0,
                "uid": os.getuid(),
                "cli": "x",
                "cli_version": "1.9.1",
                "pid": dead.pid,
            }
        )
    )
    started = LocalServer(data_dir).ensure()
    assert started.started_now and started.pid != dead.pid


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to run a process as another user")
def test_a_state_file_naming_another_users_server_is_refused(data_dir: Path) -> None:
    database = data_dir / "temporal" / "temporal.db"
    (data_dir / "temporal").mkdir()
    other = subprocess.Popen(
        ["/bin/sh", "-c", "sleep 60; true", "--db-filename", str(database)],
        user=65534,
    )
    try:
        (data_dir / "temporal" / "server.json").write_text(
            json.dumps(
                {
                    "port": 1,
                    "ui_port": 2,
                    "uid": 65534,
                    "cli": "x",
                    "cli_version": "1.9.1",
                    "pid": other.pid,
                }
            )
        )
        with pytest.raises(ServerStartError, match=f"pid {other.pid}\\) belongs to another user"):
            LocalServer(data_dir).ensure()
        assert not database.exists()
    finally:
        other.kill()
        other.wait()


def test_data_written_by_a_newer_cli_is_left_untouched(data_dir: Path) -> None:
    files = data_dir / "temporal"
    files.mkdir()
    (files / "temporal.db").write_bytes(b"SQLite format 3\x00 from the future")
    (files / "server.json").write_text(
        json.dumps(
            {
                "port": 0,
                "ui_port": 0,
                "uid": os.getuid(),
                "cli": "/opt/new/temporal",
                "cli_version": "9.1.0",
            }
        )
    )
    with pytest.raises(ServerStartError) as raised:
        LocalServer(data_dir).ensure()
    assert "written by Temporal CLI 9.1.0, newer than the one found" in str(raised.value)
    assert "set WfbSettings.temporal_cli to /opt/new/temporal" in str(raised.value)
    assert (files / "temporal.db").read_bytes() == b"SQLite format 3\x00 from the future"


def test_a_missing_or_unusable_cli_is_a_clear_error(data_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(TemporalCliError, match="does not exist"):
        LocalServer(data_dir, cli=str(tmp_path / "no-such-temporal")).ensure()
    plain = tmp_path / "plain-file"
    plain.write_text("#!/bin/sh\n")
    with pytest.raises(TemporalCliError, match="is not executable"):
        LocalServer(data_dir, cli=str(plain)).ensure()
    liar = write_fake_cli(tmp_path / "liar", "exit 0", version="x")
    liar.write_text("#!/bin/sh\necho hello\n")
    with pytest.raises(TemporalCliError, match="is not a working Temporal CLI"):
        LocalServer(data_dir, cli=str(liar)).ensure()


def test_a_server_that_fails_to_start_shows_the_end_of_its_log(
    data_dir: Path, tmp_path: Path
) -> None:
    broken = write_fake_cli(
        tmp_path / "broken-temporal",
        'echo "Error: unable to open the database: disk I/O error" >&2; exit 1',
    )
    with pytest.raises(ServerStartError) as raised:
        LocalServer(data_dir, cli=str(broken)).ensure()
    message = str(raised.value)
    assert "exited with status 1" in message
    assert "Error: unable to open the database: disk I/O error" in message
    assert state_of(data_dir)["pid"] is None


def test_wfb_server_commands(data_dir: Path) -> None:
    env = {**os.environ, "WFB_DATA_DIR": str(data_dir)}
    env.pop("TEMPORAL_ADDRESS", None)

    def wfb(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "wfb_jupyter", "server", *args],
            capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip

    stopped = wfb("status")
    assert stopped.returncode == 3 and "is not running" in stopped.stdout
    started = wfb("start")
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith("The local Temporal server at 127.0.0.1:")
    assert "(started now, pid " in started.stdout and "Web UI: http://127.0.0.1:" in started.stdout
    status = wfb("status")
    assert status.returncode == 0 and "running since" in status.stdout
    assert "TEMPORAL_ADDRESS=127.0.0.1:" in status.stdout
    assert wfb("start").stdout.startswith("Already running.")
    logs = wfb("logs", "--lines", "5")
    assert (
        "server start-dev --db-filename" in wfb("logs", "--lines", "200").stdout
        and logs.returncode == 0
    )
    assert "its history is kept" in wfb("stop").stdout
    assert "was not running" in wfb("stop").stdout


def test_wfb_server_start_in_the_foreground(data_dir: Path) -> None:
    env = {**os.environ, "WFB_DATA_DIR": str(data_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "wfb_jupyter", "server", "start", "--foreground"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    try:
        server = LocalServer(data_dir)
        deadline = time.monotonic() + 30
        while server.running() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        running = server.running()
        assert running is not None and running.pid == process.pid  # the server is that very process
        with pytest.raises(ServerStartError, match="already runs"):
            server.run_foreground()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        assert "Starting the local Temporal server" in output and "no authentication" in output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
