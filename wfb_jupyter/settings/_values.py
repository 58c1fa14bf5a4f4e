"""The values settings resolve to: frozen, with everything decided (``Settings`` and its parts), the defaults
they start from, and the rules names and sizes follow."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

DEFAULT_TEMPORAL_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
SIZE_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)

DEFAULT_PAYLOAD_THRESHOLD = 256 * 1024
DEFAULT_PAYLOAD_MAX_BYTES = 1024**3
DEFAULT_PAYLOAD_CACHE_BYTES = 256 * 1024**2
# Temporal refuses payloads over 2 MB, and a workflow task carries several: a threshold must leave room.
MAX_PAYLOAD_THRESHOLD = 1_500_000

WorkerMode = Literal["kernel", "sidecar"]


@dataclass(frozen=True)
class TemporalSettings:
    """Where Temporal is and how to reach it.

    ``pinned_address`` is None when the user left ``TEMPORAL_ADDRESS`` unset, which enables resolution: the
    local server of ``data_dir`` when it runs, a server answering at ``default_address``, else the local server
    started. ``ui_url`` overrides the Web UI's address ("off" hides links); ``api_key`` and the ``tls_*`` files
    are for clusters and Temporal Cloud (TLS is on whenever any of them, or ``tls``, is given).
    """

    pinned_address: str | None
    namespace: str = DEFAULT_NAMESPACE
    default_address: str = DEFAULT_TEMPORAL_ADDRESS
    ui_url: str | None = None
    data_dir: Path | None = None
    cli_path: str | None = None
    local_port: int = 0
    api_key: str | None = field(default=None, repr=False)
    tls: bool = False
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_ca: str | None = None
    sdk_log_level: str = "ERROR"

    @property
    def local_data_dir(self) -> Path:
        return self.data_dir or default_data_dir()

    @property
    def uses_tls(self) -> bool:
        return bool(self.tls or self.tls_cert or self.tls_key or self.tls_ca or self.api_key)


@dataclass(frozen=True)
class PayloadSettings:
    """How values pass between steps: payloads over ``threshold`` bytes are stored outside the history (in
    ``store``, a folder, or the project's database when None) and replaced by a reference; no payload may
    exceed ``max_bytes``; ``cache_bytes`` of recently stored or fetched payloads are kept in memory."""

    threshold: int = DEFAULT_PAYLOAD_THRESHOLD
    max_bytes: int = DEFAULT_PAYLOAD_MAX_BYTES
    store: str | None = None
    cache_bytes: int = DEFAULT_PAYLOAD_CACHE_BYTES

    def environment(self) -> dict[str, str]:
        """The variables that give a process started from here (a sidecar) these settings."""
        return {
            "WFB_PAYLOAD_THRESHOLD": str(self.threshold),
            "WFB_PAYLOAD_MAX_BYTES": str(self.max_bytes),
            "WFB_PAYLOAD_STORE": self.store or "",
            "WFB_PAYLOAD_CACHE_BYTES": str(self.cache_bytes),
        }


@dataclass(frozen=True)
class Settings:
    """Everything decided: what storage, the connection manager and workers are given."""

    user: str
    project: str
    database_url: str
    data_dir: Path
    worker_mode: WorkerMode
    heartbeat_interval: float
    stale_after: float
    poll_interval: float
    auto_start_worker: bool
    temporal: TemporalSettings
    # Where the built-in ``notebook`` component finds notebooks named by a relative path, and where it keeps
    # the notebooks it executed (with their outputs, so that a failed run can be opened and read).
    notebook_dir: Path = field(default_factory=Path.cwd)
    executed_dir: Path = field(default_factory=lambda: default_data_dir() / "executed")
    payloads: PayloadSettings = field(default_factory=PayloadSettings)


def default_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """``WFB_DATA_DIR``, else ``$XDG_DATA_HOME/wfb-jupyter`` (``~/.local/share/wfb-jupyter``): the default
    database and the local Temporal server live there."""
    env = os.environ if env is None else env
    if env.get("WFB_DATA_DIR"):
        return Path(env["WFB_DATA_DIR"]).expanduser()
    data_home = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "wfb-jupyter"


def default_database_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'wfb.db'}"


def default_executed_dir(database_url: str, data_dir: Path) -> Path:
    """``executed/`` next to a SQLite database file, else in the data directory."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(database_url)
    except ArgumentError:
        return data_dir / "executed"
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().absolute().parent / "executed"
    return data_dir / "executed"


def valid_name(name: str) -> bool:
    """Users and projects are named with letters, digits, ``_``, ``.`` and ``-`` (they form task queue names)."""
    return bool(_NAME.match(name))
