"""The process's temporalio ``Runtime``: the SDK core's own log lines (Rust, written straight to stderr by
default, colours and all) go to the Python logger ``temporalio.core`` instead, at the level the settings choose
(``WfbSettings.sdk_log_level``, default ERROR). So a worker's warnings do not land in whatever notebook cell
happens to run, and a user who wants them configures logging as for any library.

A sidecar may also export the runtime's metrics (the SDK's own: polls, task latencies, slots, sticky cache...,
plus wfb-jupyter's from ``sdk_metric_meter``) for Prometheus to scrape: ``enable_prometheus_metrics`` before
the first connection, since a Runtime's telemetry is fixed when it is made."""

from __future__ import annotations

import logging
import threading

from temporalio.common import MetricMeter
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

CORE_LOGGER = "temporalio.core"

_runtime: Runtime | None = None
_prometheus_address: str | None = None
_lock = threading.Lock()


class RuntimeAlreadyMadeError(RuntimeError):
    """Metrics were asked for after the process's Runtime was made (by its first Temporal connection)."""


def enable_prometheus_metrics(address: str) -> None:
    """Serve the runtime's metrics at ``http://ADDRESS/metrics`` (``HOST:PORT``) for Prometheus; must come
    before this process's first Temporal connection."""
    global _prometheus_address
    with _lock:
        if _runtime is not None:
            raise RuntimeAlreadyMadeError(
                "Prometheus metrics must be enabled before the first Temporal connection of the process"
            )
        _prometheus_address = address


def sdk_metric_meter() -> MetricMeter:
    """The meter of the process's Runtime: metrics made from it are exported with the SDK's own."""
    return sdk_runtime().metric_meter


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
            metrics = (
                PrometheusConfig(bind_address=_prometheus_address)
                if _prometheus_address is not None
                else None
            )
            _runtime = Runtime(telemetry=TelemetryConfig(logging=logs, metrics=metrics))
        return _runtime


def set_sdk_log_level(level: str) -> None:
    logging.getLogger(CORE_LOGGER).setLevel(level.upper())
