"""The files of the local Temporal server in a data directory, and its state file.

``<data dir>/temporal/`` holds ``temporal.db`` (the server's SQLite store: every execution and its history),
``server.log``, ``server.json`` (pid, ports, CLI version) and ``server.lock``. The state file outlives the
server: a server started again takes the ports it had, so workers and notebooks keep their address.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from wfb_jupyter.temporal._errors import ServerStartError

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ServerFiles:
    directory: Path

    @property
    def database(self) -> Path:
        return self.directory / "temporal.db"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    @property
    def state(self) -> Path:
        return self.directory / "server.json"

    @property
    def lock(self) -> Path:
        return self.directory / "server.lock"

    def prepare(self) -> None:
        """Create the directory; a directory that cannot hold the server is one clear error."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            probe = self.directory / f".write-test-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            raise ServerStartError(
                f"the local Temporal server cannot keep its data in {self.directory}: "
                f"{error.strerror or error}. Set WFB_DATA_DIR (WfbSettings.data_dir) to a writable "
                "directory, or TEMPORAL_ADDRESS to a running Temporal server"
            ) from error

    def log_tail(self, lines: int = 20, *, since: int = 0) -> str:
        """The last lines of the server's log (from byte ``since``), for messages and ``wfb server logs``."""
        try:
            with self.log.open("rb") as handle:
                handle.seek(since)
                text = handle.read().decode(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def log_size(self) -> int:
        try:
            return self.log.stat().st_size
        except OSError:
            return 0


@dataclass(frozen=True)
class ServerState:
    """What ``server.json`` records. ``pid`` is None once the server was stopped."""

    port: int
    ui_port: int
    uid: int
    cli: str
    cli_version: str
    server_version: str | None = None
    pid: int | None = None
    started_at: float | None = None

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ui_port}"

    def stopped(self) -> ServerState:
        return replace(self, pid=None, started_at=None)


def read_state(files: ServerFiles) -> ServerState | None:
    """The recorded state; None when there is none. A state file that is not ours to read is an error."""
    try:
        raw = json.loads(files.state.read_text())
    except FileNotFoundError:
        return None
    except PermissionError as error:
        raise ServerStartError(
            f"the local Temporal server's state file {files.state} is not readable by this user: "
            "it belongs to someone else. Use a data directory of your own (WFB_DATA_DIR)"
        ) from error
    except (OSError, ValueError):
        return None  # torn or garbled: the server it described is found again by its pid-less start
    try:
        return ServerState(**{key: raw[key] for key in _FIELDS if key in raw})
    except TypeError:
        return None


def write_state(files: ServerFiles, state: ServerState) -> None:
    """Atomically: a reader sees the old state or the new one, never half of it."""
    temporary = files.state.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(asdict(state), indent=2, sort_keys=True) + "\n")
    os.replace(temporary, files.state)


_FIELDS = tuple(ServerState.__dataclass_fields__)


@contextlib.contextmanager
def exclusive(files: ServerFiles, timeout: float) -> Iterator[None]:
    """Hold the data directory's server lock: exactly one process starts or stops its server at a time."""
    import fcntl

    handle = files.lock.open("a")
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ServerStartError(
                        f"another process has been starting the local Temporal server in "
                        f"{files.directory} for over {timeout:.0f} s (lock: {files.lock})"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        handle.close()  # closing the file releases the lock
