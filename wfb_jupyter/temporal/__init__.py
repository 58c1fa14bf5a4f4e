"""Temporal connection, server resolution and the embedded Temporal service.

Importing this package is cheap only up to the names below; the embedded service loads when first started.
"""

from wfb_jupyter.temporal._connection import (
    HealthReport,
    TemporalConnection,
    check_temporal_health,
    close_temporal_connection,
    connection,
    current_server,
    get_temporal_client,
)
from wfb_jupyter.temporal._errors import ServerStartError, TemporalUnavailableError
from wfb_jupyter.temporal._resolution import ResolvedServer, resolve_server
from wfb_jupyter.temporal._settings import TemporalSettings

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
    # errors
    "TemporalUnavailableError",
    "ServerStartError",
]
