"""A project at a glance: its counters, its live workers and its workflows with their versions and runs."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import case, func, select, union
from sqlalchemy.orm import Session

from wfb_jupyter.storage import (
    STALE_AFTER,
    ActivityRollup,
    CompiledCode,
    ExecutionRecord,
    ExecutionRollup,
    WorkerRecord,
    Workflow,
    get_project,
    utc_now,
)
from wfb_jupyter.storage.orm import OPEN_EXECUTION_STATUSES

LIVE_WORKER_STATUSES = ("starting", "running")


@dataclass(frozen=True)
class WorkflowOverview:
    name: str
    versions: int
    active_version: int | None
    executions: int
    last_started_at: datetime | None


@dataclass(frozen=True)
class ProjectOverview:
    project_id: str
    name: str
    task_queue: str
    executions: int
    execution_successes: int
    execution_failures: int
    activity_attempts: int
    activity_failures: int
    last_execution_at: datetime | None
    active_workers: int
    workflows: tuple[WorkflowOverview, ...]

    @property
    def execution_success_rate(self) -> float | None:
        return self.execution_successes / self.executions if self.executions else None

    def workflows_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [vars(workflow) for workflow in self.workflows],
            columns=["name", "versions", "active_version", "executions", "last_started_at"],
        )

    def _repr_html_(self) -> str:
        rate = self.execution_success_rate
        counters = pd.DataFrame(
            [
                {
                    "executions": self.executions,
                    "success rate": "n/a" if rate is None else f"{rate:.1%}",
                    "activity attempts": self.activity_attempts,
                    "activity failures": self.activity_failures,
                    "active workers": self.active_workers,
                }
            ]
        )
        return "\n".join(
            [
                f"<h4>Project {html.escape(self.name)} "
                f"<small>(task queue {html.escape(self.task_queue)})</small></h4>",
                counters.to_html(index=False),
                self.workflows_frame().to_html(index=False),
            ]
        )


def project_overview(
    session: Session, project_id: str, *, now: datetime | None = None
) -> ProjectOverview:
    """Counters kept on the project row, the workers that are alive (running or starting, with a heartbeat
    newer than ``STALE_AFTER``: a dead worker not yet cleaned up does not count), and per workflow its
    versions, active version and executions. Raises ``NotFoundError`` for an unknown project."""
    project = get_project(session, project_id)
    cutoff = (now or utc_now()) - STALE_AFTER
    active_workers = session.scalar(
        select(func.count()).where(
            WorkerRecord.project_id == project_id,
            WorkerRecord.status.in_(LIVE_WORKER_STATUSES),
            WorkerRecord.last_heartbeat_at >= cutoff,
        )
    )
    versions = (
        select(
            CompiledCode.workflow_id,
            func.count().label("versions"),
            func.max(case((CompiledCode.is_active, CompiledCode.version))).label("active"),
        )
        .group_by(CompiledCode.workflow_id)
        .subquery()
    )
    runs = (
        select(
            ExecutionRecord.workflow_id,
            func.count().label("executions"),
            func.max(ExecutionRecord.started_at).label("last_started_at"),
        )
        .group_by(ExecutionRecord.workflow_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Workflow.name,
            func.coalesce(versions.c.versions, 0),
            versions.c.active,
            func.coalesce(runs.c.executions, 0),
            runs.c.last_started_at,
        )
        .outerjoin(versions, versions.c.workflow_id == Workflow.id)
        .outerjoin(runs, runs.c.workflow_id == Workflow.id)
        .where(Workflow.project_id == project_id)
        .order_by(Workflow.name)
    ).all()
    return ProjectOverview(
        project_id=project.id,
        name=project.name,
        task_queue=project.task_queue,
        executions=project.execution_count,
        execution_successes=project.execution_success_count,
        execution_failures=project.execution_failure_count,
        activity_attempts=project.activity_attempt_count,
        activity_failures=project.activity_failure_count,
        last_execution_at=project.last_execution_at,
        active_workers=int(active_workers or 0),
        workflows=tuple(
            WorkflowOverview(
                name=name,
                versions=int(count),
                active_version=None if active is None else int(active),
                executions=int(executions),
                last_started_at=last_started,
            )
            for name, count, active, executions, last_started in rows
        ),
    )


def executed_versions(session: Session, project_id: str, workflow: str | None = None) -> list[int]:
    """The versions (of ``workflow``, or of any workflow) that have runs: closed ones as the rollups keep
    them, so that pruned history still counts, and open ones from their rows. Cheap at any history length:
    it reads the rollups' keys and the few open runs, not the runs themselves."""
    rollup, run = ExecutionRollup, ExecutionRecord
    closed = (
        select(rollup.version)
        .join(Workflow, Workflow.id == rollup.workflow_id)
        .where(rollup.project_id == project_id)
    )
    running = (
        select(run.version)
        .join(Workflow, Workflow.id == run.workflow_id)
        .where(Workflow.project_id == project_id, run.status.in_(OPEN_EXECUTION_STATUSES))
    )
    if workflow is not None:
        closed = closed.where(Workflow.name == workflow)
        running = running.where(Workflow.name == workflow)
    versions = session.scalars(union(closed, running)).all()
    return sorted({int(version) for version in versions})


def executed_components(session: Session, project_id: str) -> list[str]:
    """The components that have recorded attempts (as the rollups keep them), in name order."""
    statement = (
        select(ActivityRollup.component)
        .where(ActivityRollup.project_id == project_id)
        .distinct()
        .order_by(ActivityRollup.component)
    )
    return [str(name) for name in session.scalars(statement)]
