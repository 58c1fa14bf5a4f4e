"""What the statistics dashboard reads: a project's statistics for a set of filters, one short session per
question."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine

from wfb_jupyter import statistics
from wfb_jupyter.statistics import Grouping
from wfb_jupyter.storage import list_workflows, read_scope

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
    """A project's statistics read from the database, one short session per question: summaries from the
    rollups (``exact``: ranking the raw rows, whose cost grows with the history), runs from their rows."""

    def __init__(self, engine: Engine, project_id: str, *, exact: bool = False) -> None:
        self.engine = engine
        self.project_id = project_id
        self.exact = exact

    def _read(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        # Reads only: on SQLite a read scope never waits behind the workers' writes.
        with read_scope(self.engine) as session:
            return function(session, self.project_id, *args, **kwargs)

    def workflows(self) -> list[str]:
        # Names read inside the scope: a read scope rolls back, which expires what it loaded.
        return self._read(
            lambda session, project: [w.name for w in list_workflows(session, project)]
        )

    def versions(self, workflow: str | None) -> list[int]:
        return self._read(statistics.executed_versions, workflow)

    def components(self) -> list[str]:
        return self._read(statistics.executed_components)

    def execution_summaries(
        self, filters: Filters, groupings: Sequence[Grouping]
    ) -> list[pd.DataFrame]:
        """One summary of runs per grouping, read together."""
        return self._read(
            statistics.execution_summaries,
            groupings,
            exact=self.exact,
            **filters.for_executions(),
        )

    def activity_summaries(
        self, filters: Filters, groupings: Sequence[Grouping]
    ) -> list[pd.DataFrame]:
        """One summary of attempts per grouping, read together."""
        return self._read(
            statistics.activity_summaries,
            groupings,
            exact=self.exact,
            **filters.for_activities(),
        )
