"""What the statistics dashboard reads: a project's statistics for a set of filters, one short session per
question."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine

from wfb_jupyter import statistics
from wfb_jupyter.storage import list_workflows, session_scope

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")


@dataclass(frozen=True)
class Filters:
    """What to look at: ``None`` means no restriction. ``since`` is inclusive, ``until`` exclusive."""

    workflow: str | None = None
    version: int | None = None
    component: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def for_executions(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow,
            "version": self.version,
            "since": self.since,
            "until": self.until,
        }

    def for_activities(self) -> dict[str, Any]:
        return {**self.for_executions(), "component": self.component}


class StatisticsSource:
    """A project's statistics read from the database, one short session per question."""

    def __init__(self, engine: Engine, project_id: str) -> None:
        self.engine = engine
        self.project_id = project_id

    def _read(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with session_scope(self.engine) as session:
            return function(session, self.project_id, *args, **kwargs)

    def workflows(self) -> list[str]:
        return [workflow.name for workflow in self._read(list_workflows)]

    def versions(self, workflow: str | None) -> list[int]:
        frame = self._read(statistics.execution_summary, by=("version",), workflow=workflow)
        return sorted(int(version) for version in frame["version"])

    def components(self) -> list[str]:
        return [
            str(name)
            for name in self._read(statistics.activity_summary, by=("component",))["component"]
        ]

    def executions(self, filters: Filters, limit: int) -> pd.DataFrame:
        return self._read(statistics.executions_frame, **filters.for_executions(), limit=limit)

    def execution_summary(
        self, filters: Filters, by: Sequence[str], bucket: str | None = None
    ) -> pd.DataFrame:
        return self._read(
            statistics.execution_summary, by, bucket=bucket, **filters.for_executions()
        )

    def activity_summary(
        self, filters: Filters, by: Sequence[str], bucket: str | None = None
    ) -> pd.DataFrame:
        return self._read(
            statistics.activity_summary, by, bucket=bucket, **filters.for_activities()
        )
