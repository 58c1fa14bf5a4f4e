"""Mutable state shared by tests, activities and workflows; workflows import it passed through the sandbox."""

from __future__ import annotations

# Lifecycle notes from activities, keyed by a per-test key.
ACTIVITY_EVENTS: dict[str, list[str]] = {}
# Workflow-task failures still to inject, per workflow id.
WORKFLOW_TASK_FAILURES: dict[str, int] = {}
