"""An in-memory implementation of Temporal's WorkflowService gRPC API for tests, CI and offline notebooks.

The real ``temporalio`` SDK Client and Worker use it unchanged. Not durable: everything it holds is lost when it
stops. A real Temporal server is the path to durability and scale.
"""

from ._service import BackgroundService, EmbeddedTemporalService, start_background_service

__all__ = ["EmbeddedTemporalService", "BackgroundService", "start_background_service"]
