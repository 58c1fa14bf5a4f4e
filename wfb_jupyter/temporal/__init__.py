"""Temporal: the connection manager, which server to use, and the managed local Temporal server."""

from wfb_jupyter.settings import TemporalSettings
from wfb_jupyter.temporal._binary import TemporalCli, find_temporal_cli
from wfb_jupyter.temporal._connection import (
    HealthReport,
    TemporalConnection,
    check_temporal_health,
    close_temporal_connection,
    connection,
    current_server,
    get_temporal_client,
)
from wfb_jupyter.temporal._errors import (
    ServerStartError,
    TemporalCliError,
    TemporalUnavailableError,
)
from wfb_jupyter.temporal._local_server import LocalServer, LocalServerStatus
from wfb_jupyter.temporal._resolution import ResolvedServer, local_server, resolve_server
from wfb_jupyter.temporal._runtime import (
    RuntimeAlreadyMadeError,
    enable_prometheus_metrics,
    sdk_metric_meter,
    sdk_runtime,
)
from wfb_jupyter.temporal._search_attributes import (
    SEARCH_ATTRIBUTES,
    available_search_attributes,
    execution_search_attributes,
)

__all__ = [
    # connection manager
    "TemporalConnection",
    "connection",
    "get_temporal_client",
    "check_temporal_health",
    "close_temporal_connection",
    "current_server",
    "HealthReport",
    # resolution
    "TemporalSettings",
    "ResolvedServer",
    "resolve_server",
    # the managed local server
    "LocalServer",
    "LocalServerStatus",
    "local_server",
    "TemporalCli",
    "find_temporal_cli",
    # the SDK runtime every client uses (core logs go to the Python logger), and its metrics
    "sdk_runtime",
    "RuntimeAlreadyMadeError",
    "enable_prometheus_metrics",
    "sdk_metric_meter",
    # search attributes
    "SEARCH_ATTRIBUTES",
    "available_search_attributes",
    "execution_search_attributes",
    # errors
    "TemporalUnavailableError",
    "ServerStartError",
    "TemporalCliError",
]
