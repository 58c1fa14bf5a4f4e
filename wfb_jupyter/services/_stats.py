"""Statistics of the current project (or one workflow): pandas frames from ``wfb_jupyter.statistics`` and Plotly
charts from ``wfb_jupyter.charts``. pandas and Plotly load on first use."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.orm import Session

from wfb_jupyter.services._context import ServiceContext
from wfb_jupyter.services._errors import UnknownWorkflowNameError
from wfb_jupyter.services._handle import ExecutionHandle
from wfb_jupyter.services._projects import Projects
from wfb_jupyter.services._runs import Runs
from wfb_jupyter.services._statistics_source import StatisticsSource
from wfb_jupyter.storage import list_workflows

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

T = TypeVar("T")
CHART_RUNS = 5_000


def _bucket_for(executions: pd.DataFrame) -> str:
    """Minutes for a short history (finer than the rollups: they rank raw rows), else hours or days."""
    if len(executions) < 2:
        return "minute"
    span = executions["started_at"].max() - executions["started_at"].min()
    if len(executions) < CHART_RUNS and span.total_seconds() < 6 * 3600:
        return "minute"
    return "hour" if span.days < 30 else "day"


class Stats:
    def __init__(self, context: ServiceContext, projects: Projects, runs: Runs) -> None:
        self._context = context
        self._projects = projects
        self._runs = runs

    def summary(
        self,
        name: str | None = None,
        by: Sequence[str] = ("workflow", "version"),
        bucket: str | None = None,
        *,
        exact: bool = False,
    ) -> pd.DataFrame:
        """Executions per group: counts by outcome, success rate, mean and percentile durations (from the
        rollups, percentiles within 1 %; ``exact``: from the raw rows, slower on a long history)."""
        self._known(name)
        from wfb_jupyter.statistics import execution_summary

        return self._read(
            lambda s, project: execution_summary(
                s, project, by, bucket=bucket, workflow=name, exact=exact
            )
        )

    def activities(
        self,
        name: str | None = None,
        by: Sequence[str] = ("component",),
        bucket: str | None = None,
        *,
        exact: bool = False,
    ) -> pd.DataFrame:
        """Activity attempts per group (component by default): counts, retries, failures, durations."""
        self._known(name)
        from wfb_jupyter.statistics import activity_summary

        return self._read(
            lambda s, project: activity_summary(
                s, project, by, bucket=bucket, workflow=name, exact=exact
            )
        )

    def executions_frame(
        self, name: str | None = None, limit: int | None = None, offset: int = 0
    ) -> pd.DataFrame:
        """One row per execution, newest first; ``limit`` and ``offset`` page through them."""
        self._known(name)
        from wfb_jupyter.statistics import executions_frame

        return self._read(
            lambda s, project: executions_frame(
                s, project, workflow=name, limit=limit, offset=offset
            )
        )

    def attempts_frame(
        self,
        name: str | None = None,
        execution: ExecutionHandle | str | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> pd.DataFrame:
        """One row per activity attempt, of a workflow or of one execution (a handle or workflow id), in
        the order they started; ``limit`` and ``offset`` page through them."""
        self._known(name)
        from wfb_jupyter.statistics import activity_attempts_frame

        run = None
        if execution is not None:
            handle = self._runs.get(execution) if isinstance(execution, str) else execution
            run = (handle.workflow_id, handle.run_id)
        return self._read(
            lambda s, project: activity_attempts_frame(
                s, project, workflow=name, execution=run, limit=limit, offset=offset
            )
        )

    def latest_failures(
        self, name: str | None = None, limit: int = 20, offset: int = 0
    ) -> pd.DataFrame:
        """The latest failed activity attempts, newest first, with their errors."""
        self._known(name)
        from wfb_jupyter.statistics import activity_attempts_frame

        return self._read(
            lambda s, project: activity_attempts_frame(
                s,
                project,
                workflow=name,
                status=("failed", "cancelled"),
                newest_first=True,
                limit=limit,
                offset=offset,
            )
        )

    def timeline(self, execution: ExecutionHandle | str) -> go.Figure:
        """The Gantt chart of one execution's activity attempts (retries visible)."""
        from wfb_jupyter import charts

        return charts.execution_timeline(self.attempts_frame(execution=execution))

    def charts(self, name: str | None = None) -> dict[str, go.Figure]:
        """The standard charts of the project (or one workflow), by heading: the latest execution's timeline,
        durations, percentiles over time, success rates and the slowest components."""
        self._known(name)
        from wfb_jupyter import charts
        from wfb_jupyter.statistics import activity_attempts_frame

        # The latest runs only: the charts of a long history read their aggregates from the rollups.
        executions = self.executions_frame(name, limit=CHART_RUNS)
        figures: dict[str, go.Figure] = {}
        if not executions.empty:
            latest = (str(executions.iloc[0]["workflow_id"]), str(executions.iloc[0]["run_id"]))
            figures["Latest execution"] = charts.execution_timeline(
                self._read(lambda s, project: activity_attempts_frame(s, project, execution=latest))
            )
        figures["Durations"] = charts.duration_distribution(executions, by="workflow")
        figures["Percentiles over time"] = charts.percentiles_over_time(
            self.summary(name, (), bucket=_bucket_for(executions))
        )
        figures["Success rate"] = charts.success_rate(
            self.summary(name, ("workflow",)), by="workflow"
        )
        components = self.activities(name)
        figures["Slowest components"] = charts.slowest_components(components)
        figures["Retries"] = charts.retries(components)
        return figures

    def write_charts(self, path: str | Path, name: str | None = None) -> Path:
        """Write ``charts(name)`` to one self-contained HTML file; returns its path."""
        from wfb_jupyter.charts import write_charts_html

        title = f"wfb-jupyter: {name or self._projects.current().name}"
        return write_charts_html(self.charts(name), path, title=title)

    def check_workflow(self, name: str) -> None:
        """``UnknownWorkflowNameError`` when the project has no workflow ``name`` (statistics of a name that
        was never built would be silently empty)."""
        info = self._projects.current()
        known = self._context.read(lambda s: [w.name for w in list_workflows(s, info.id)])
        if name not in known:
            raise UnknownWorkflowNameError(name, info.name, known)

    def _known(self, name: str | None) -> None:
        if name is not None:
            self.check_workflow(name)

    def dashboard_source(self) -> StatisticsSource:
        """What the statistics dashboard reads, for the current project."""
        return StatisticsSource(self._context.engine, self._projects.current().id)

    def _read(self, query: Callable[[Session, str], T]) -> T:
        project_id = self._projects.current().id
        return self._context.read(lambda session: query(session, project_id))
