"""Where Temporal is and how to reach it, as one frozen value handed to the connection manager.

``from_environment`` reads the variables that sidecar workers and scripts share with notebooks; a notebook
builds it from ``WfbSettings`` (``%config`` over the environment) instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"


def default_data_dir() -> Path:
    """``WFB_DATA_DIR``, else ``$XDG_DATA_HOME/wfb-jupyter`` (``~/.local/share/wfb-jupyter``): the default
    database and the local Temporal server live there."""
    configured = os.environ.get("WFB_DATA_DIR")
    if configured:
        return Path(configured).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "wfb-jupyter"


@dataclass(frozen=True)
class TemporalSettings:
    """``pinned_address`` is None when the user left ``TEMPORAL_ADDRESS`` unset, which enables resolution:
    a server answering at ``default_address``, else the local server of ``data_dir``.

    ``ui_url`` overrides the Web UI's address ("off" hides links); ``api_key`` and the ``tls_*`` files are for
    clusters and Temporal Cloud (TLS is on whenever any of them, or ``tls``, is given)."""

    pinned_address: str | None
    namespace: str = DEFAULT_NAMESPACE
    default_address: str = DEFAULT_ADDRESS
    ui_url: str | None = None
    data_dir: Path | None = None
    cli_path: str | None = None
    local_port: int = 0
    api_key: str | None = None
    tls: bool = False
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_ca: str | None = None

    @property
    def local_data_dir(self) -> Path:
        return self.data_dir or default_data_dir()

    @property
    def uses_tls(self) -> bool:
        return bool(self.tls or self.tls_cert or self.tls_key or self.tls_ca or self.api_key)

    @classmethod
    def from_environment(cls) -> TemporalSettings:
        env = os.environ.get
        return cls(
            pinned_address=env("TEMPORAL_ADDRESS") or None,
            namespace=env("TEMPORAL_NAMESPACE") or DEFAULT_NAMESPACE,
            ui_url=env("TEMPORAL_UI_URL") or None,
            data_dir=default_data_dir(),
            cli_path=env("WFB_TEMPORAL_CLI") or None,
            local_port=int(env("WFB_TEMPORAL_PORT") or 0),
            api_key=env("TEMPORAL_API_KEY") or None,
            tls=(env("TEMPORAL_TLS") or "").lower() in ("1", "true", "yes"),
            tls_cert=env("TEMPORAL_TLS_CLIENT_CERT_PATH") or None,
            tls_key=env("TEMPORAL_TLS_CLIENT_KEY_PATH") or None,
            tls_ca=env("TEMPORAL_TLS_SERVER_CA_CERT_PATH") or None,
        )
