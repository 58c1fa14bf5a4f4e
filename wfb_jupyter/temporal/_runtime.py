"""The process's temporalio ``Runtime``: the SDK core's own log lines (Rust, written straight to stderr by
default, colours and all) go to the Python logger ``temporalio.core`` instead, at the level the settings choose
(``WfbSettings.sdk_log_level``, default ERROR). So a worker's warnings do not land in whatever notebook cell
happens to run, and a user who wants them configures logging as for any library."""

from __future__ import annotations

import logging
import threading

from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

CORE_LOGGER = "temporalio.core"

_runtime: Runtime | None = None
_lock = threading.Lock()


def sdk_runtime() -> Runtime:
    """The one Runtime every client (and so every worker) of this process uses."""
    global _runtime
    with _lock:
        if _runtime is None:
            forwarding = LogForwardingConfig(logger=logging.getLogger(CORE_LOGGER))
            logs = LoggingConfig(
                filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                forwarding=forwarding,
            )
            _runtime = Runtime(telemetry=TelemetryConfig(logging=logs))
        return _runtime


def set_sdk_log_level(level: str) -> None:
    logging.getLogger(CORE_LOGGER).setLevel(level.upper())
