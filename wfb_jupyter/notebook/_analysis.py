"""The Workspace's statistics: pandas frames from ``wfb_jupyter.statistics`` and Plotly charts from
``wfb_jupyter.charts``, for the current project (optionally one workflow). pandas and Plotly load on first use."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wfb_jupyter.notebook._results import ProjectInfo

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go
    from sqlalchemy import Engine


class AnalysisOperations:
    """Mixed into ``Workspace``."""

    if TYPE_CHECKING:  # provided by Workspace

        @property
        def engine(self) -> Engine: ...

        def project(self, name: str | None = None) -> ProjectInfo: ...

    def _read(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        from wfb_jupyter.storage import session_scope

        project_id = self.project().id
        with session_scope(self.engine) as session:
            return function(session, project_id, *args, **kwargs)

    def stats(
        self,
        name: str | None = None,
        by: Sequence[str] = ("workflow", "version"),
        bucket: str | None = None,
    ) -> pd.DataFrame:
        """Executions per group: counts by outcome, success rate, mean and percentile durations."""
        from wfb_jupyter.statistics import execution_summary

        return self._read(execution_summary, by, bucket=bucket, workflow=name)

    def activity_stats(
        self, name: str | None = None, by: Sequence[str] = ("component",), bucket: str | None = None
    ) -> pd.DataFrame:
        """Activity attempts per group (component by default): counts, retries, failures, durations."""
        from wfb_jupyter.statistics import activity_summary

        return self._read(activity_summary, by, bucket=bucket, workflow=name)

    def executions_frame(self, name: str | None = None, limit: int | None = None) -> pd.DataFrame:
        """One row per execution, newest first."""
        from wfb_jupyter.statistics import executions_frame

        return self._read(executions_frame, workflow=name, limit=limit)

    def attempts_frame(self, name: str | None = None, execution: Any = None) -> pd.DataFrame:
        """One row per activity attempt, of a workflow or of one execution (a ref or workflow id)."""
        from wfb_jupyter.statistics import activity_attempts_frame

        run = None
        if execution is not None:
            ref = self._ref(execution)  # type: ignore[attr-defined]
            run = (ref.workflow_id, ref.run_id)
        return self._read(activity_attempts_frame, workflow=name, execution=run)

    def timeline(self, execution: Any) -> go.Figure:
        """The Gantt chart of one execution's activity attempts (retries visible)."""
        from wfb_jupyter import charts

        return charts.execution_timeline(self.attempts_frame(execution=execution))

    def charts(self, name: str | None = None) -> dict[str, go.Figure]:
        """The standard charts of the project (or one workflow), by heading: the latest execution's timeline,
        durations, percentiles over time, success rates and the slowest components."""
        from wfb_jupyter import charts

        executions = self.executions_frame(name)
        figures: dict[str, go.Figure] = {}
        if not executions.empty:
            latest = executions.iloc[0]
            figures["Latest execution"] = charts.execution_timeline(
                self._read_attempts(latest["workflow_id"], latest["run_id"])
            )
        components = self.activity_stats(name)
        figures["Durations"] = charts.duration_distribution(executions, by="workflow")
        figures["Percentiles over time"] = charts.percentiles_over_time(
            self.stats(name, (), bucket="minute")
        )
        figures["Success rate"] = charts.success_rate(
            self.stats(name, ("workflow",)), by="workflow"
        )
        figures["Slowest components"] = charts.slowest_components(components)
        return figures

    def write_charts(self, path: str | Path, name: str | None = None) -> Path:
        """Write ``charts(name)`` to one self-contained HTML file; returns its path."""
        from wfb_jupyter.charts import write_charts_html

        title = f"wfb-jupyter: {name or self.project().name}"
        return write_charts_html(self.charts(name), path, title=title)

    def _read_attempts(self, workflow_id: str, run_id: str | None) -> pd.DataFrame:
        from wfb_jupyter.statistics import activity_attempts_frame

        return self._read(activity_attempts_frame, execution=(workflow_id, run_id))
