"""An in-memory implementation of Temporal's WorkflowService gRPC API for tests, CI and offline notebooks.

The real ``temporalio`` SDK Client and Worker use it unchanged, over gRPC on a loopback port. It is **not durable**:
every execution, history and task queue lives in memory and is lost when the service stops; closed runs are also
forgotten after their namespace's retention period (a day by default). A real Temporal server is the path to
durability and scale.

Covered: workflow starts (id reuse and conflict policies, start delay, signal-with-start), workflow and activity
task long polls with sticky queues, every command the Python SDK sends (activities, timers, children, external
signals and cancels, markers, continue-as-new, search attribute and memo upserts), activity and workflow retry
policies and timeouts, heartbeats, queries, cancel and terminate, history (paged and long-polled), describe,
list/count with a subset of the visibility query language, and namespaces. Not covered: workflow updates, Nexus,
schedules, cron, batch operations, worker versioning and reset; those calls answer UNIMPLEMENTED.
"""

from ._service import BackgroundService, EmbeddedTemporalService, start_background_service

__all__ = ["EmbeddedTemporalService", "BackgroundService", "start_background_service"]
