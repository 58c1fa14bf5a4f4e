"""Seeding a project with executions and attempts through the public recording functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine

from wfb_jupyter.statistics import record_activity_executions, record_workflow_execution
from wfb_jupyter.storage import get_or_create_workflow, session_scope

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


@dataclass
class Seeder:
    """Writes a project's executions and attempts through the public recording functions."""

    engine: Engine
    project_id: str

    def workflow(self, name: str) -> int:
        with session_scope(self.engine) as session:
            return get_or_create_workflow(session, self.project_id, name).id

    def run(
        self,
        workflow: str,
        run_id: str,
        *,
        version: int = 1,
        status: str = "completed",
        started_at: datetime = T0,
        seconds: float | None = 1.0,
        error: str | None = None,
    ) -> None:
        workflow_id = self.workflow(workflow)
        with session_scope(self.engine) as session:
            record_workflow_execution(
                session,
                workflow_id=workflow_id,
                version=version,
                temporal_workflow_id=f"{workflow}-id",
                temporal_run_id=run_id,
                started_at=started_at,
            )
            if status != "running":
                record_workflow_execution(
                    session,
                    workflow_id=workflow_id,
                    version=version,
                    temporal_workflow_id=f"{workflow}-id",
                    temporal_run_id=run_id,
                    status=status,
                    error=error,
                    closed_at=started_at + timedelta(seconds=seconds or 0),
                )

    def attempts(self, rows: list[dict[str, Any]], *, workflow: str | None = "orders") -> None:
        """Attempts with defaults for the fields a test does not care about."""
        workflow_id = self.workflow(workflow) if workflow else None
        defaults: dict[str, Any] = {
            "project_id": self.project_id,
            "workflow_id": workflow_id,
            "temporal_workflow_id": f"{workflow}-id",
            "temporal_run_id": "run-1",
            "step_id": "step",
            "component": "fetch",
            "status": "completed",
            "started_at": T0,
        }
        with session_scope(self.engine) as session:
            record_activity_executions(session, [{**defaults, **row} for row in rows])
