"""The statistics dashboard: filters (workflow, version, component, dates, bucket), a summary table and the
charts of ``wfb_jupyter.charts``.

The data comes from a *source*: anything with the methods of ``wfb_jupyter.services.StatisticsSource`` (what
``ws.stats.dashboard_source()`` gives), so tests can pass their own. What the dashboard shows is computed by ``build_dashboard`` from a source and ``Filters``, a plain
function; the widget only reads its controls into ``Filters`` and shows the result, so it is tested by
setting control values and reading ``dashboard.data``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from time import perf_counter
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import ipywidgets

from wfb_jupyter.services import Filters

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

    from wfb_jupyter.statistics import Grouping

T = TypeVar("T")
FIGURES = ("durations", "percentiles", "workflow_success", "component_success", "slowest")
ALL = "(all)"
PLOTLY_MIME_TYPE = "application/vnd.plotly.v1+json"
# Minute buckets read the raw attempt rows and draw a point a minute: a day is 1,440 points, a month 43,200,
# which took the browser half a minute to draw on a 1M-attempt history. Longer windows are shown per hour.
MINUTE_WINDOW = timedelta(days=1)
# Runs are recorded per workflow, not per component: a component narrows the attempts, not the runs.
COMPONENT_NOTE = (
    "The component narrows the attempts (percentiles over time, success per component, slowest); "
    "the table and the run charts show every run of the workflows chosen."
)


class StatisticsDataSource(Protocol):
    """What the dashboard asks of its data source."""

    def workflows(self) -> list[str]: ...
    def versions(self, workflow: str | None) -> list[int]: ...
    def components(self) -> list[str]: ...
    def execution_summaries(
        self, filters: Filters, groupings: Sequence[Grouping]
    ) -> list[pd.DataFrame]: ...
    def activity_summaries(
        self, filters: Filters, groupings: Sequence[Grouping]
    ) -> list[pd.DataFrame]: ...


@dataclass
class DashboardData:
    filters: Filters
    bucket: str
    executions: pd.DataFrame  # summary per workflow and version: the table
    components: pd.DataFrame  # summary per component
    figures: dict[str, go.Figure] = field(default_factory=dict)


def build_dashboard(
    source: StatisticsDataSource, filters: Filters, bucket: str = "hour"
) -> DashboardData:
    """Every frame and figure the dashboard shows for ``filters``, from one read of the runs and one of the
    attempts. With a component chosen, the percentiles over time are that component's attempts; otherwise
    they are the workflows' runs."""
    from wfb_jupyter import charts
    from wfb_jupyter.statistics import Grouping

    over_time = Grouping((), bucket)
    per_workflow = Grouping(("workflow",), percentiles=charts.BOX_PERCENTILES)
    executions, workflows, timed_buckets = source.execution_summaries(
        filters, [Grouping(("workflow", "version")), per_workflow, over_time]
    )
    if filters.component is None:
        (components,) = source.activity_summaries(filters, [Grouping(("component",))])
    else:
        components, timed_buckets = source.activity_summaries(
            filters, [Grouping(("component",)), over_time]
        )
    figures = {
        "durations": charts.duration_boxes(workflows, by="workflow"),
        "percentiles": charts.percentiles_over_time(
            timed_buckets,
            title="Duration percentiles over time"
            + ("" if filters.component is None else f" ({filters.component})"),
        ),
        "workflow_success": charts.success_rate(workflows, by="workflow"),
        "component_success": charts.success_rate(components, by="component"),
        "slowest": charts.slowest_components(components),
    }
    return DashboardData(filters, bucket, executions, components, figures)


def summary_table_html(summary: pd.DataFrame) -> str:
    """The per-workflow-and-version summary as an HTML table (values escaped by pandas)."""
    import pandas as pd

    from wfb_jupyter.charts import percent_text

    if summary.empty:
        return "<p>No executions recorded yet for these filters.</p>"
    shown = summary.copy()
    shown["success_rate"] = shown["success_rate"].map(
        lambda rate: "–" if pd.isna(rate) else percent_text(float(rate))
    )
    for column in ("mean_ms", "p50_ms", "p95_ms", "p99_ms"):
        shown[column] = shown[column].map(lambda value: "–" if pd.isna(value) else f"{value:,.0f}")
    return str(shown.to_html(index=False, na_rep="–", escape=True, classes="wfb-stats-table"))


def updated_html(refresh: int, seconds: float, note: str = "", sent: int = len(FIGURES)) -> str:
    """The status line after new data is shown: how long it took, (``data-refresh``) which update it was and
    (``data-sent``) how many charts it sent again, so that a browser test can tell when they are all there."""
    return (
        f'<span class="wfb-stats-updated" data-refresh="{refresh}" data-sent="{sent}">'
        f"Updated in {seconds * 1000:,.0f} ms</span>" + (f" {html.escape(note)}" if note else "")
    )


def shown_bucket(bucket: str, filters: Filters) -> tuple[str, str]:
    """The bucket the charts use for ``bucket`` over the filters' window, and why when it is not that one."""
    if bucket != "minute":
        return bucket, ""
    if filters.since and filters.until and filters.until - filters.since <= MINUTE_WINDOW:
        return bucket, ""
    return "hour", (
        "Minute buckets need a window of one day at most (choose From and To): shown per hour."
    )


def day_range(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """Dates picked in the dashboard as a UTC time window: from the start of ``start`` to the end of ``end``."""
    since = datetime.combine(start, time(), tzinfo=timezone.utc) if start else None
    until = datetime.combine(end, time(), tzinfo=timezone.utc) + timedelta(days=1) if end else None
    return since, until


def _choices(values: Sequence[Any]) -> list[tuple[str, Any]]:
    return [(ALL, None), *((str(value), value) for value in values)]


class StatisticsDashboard(ipywidgets.VBox):
    """Filters on top, the summary table, then the charts; ``data`` and ``figures`` hold what is shown."""

    def __init__(
        self, source: StatisticsDataSource, *, bucket: str = "hour", **kwargs: Any
    ) -> None:
        self.source = source
        self.data: DashboardData | None = None
        self.refreshes = 0  # how many times new data was shown: the status line's data-refresh
        self._quiet = False  # set while options are refilled, so that refilling triggers no refresh
        self._drawn: dict[str, str] = {}  # each chart as last sent to the browser
        self.workflow = ipywidgets.Dropdown(description="Workflow")
        self.version = ipywidgets.Dropdown(description="Version")
        self.component = ipywidgets.Dropdown(description="Component")
        self.since = ipywidgets.DatePicker(description="From")
        self.until = ipywidgets.DatePicker(description="To")
        self.bucket = ipywidgets.Dropdown(
            description="Per", options=["minute", "hour", "day"], value=bucket
        )
        self.reload = ipywidgets.Button(description="Refresh", icon="refresh")
        self.status = ipywidgets.HTML()
        for name in ("workflow", "version", "component", "since", "until", "bucket", "status"):
            getattr(self, name).add_class(f"wfb-stats-{name}")
        self.table = ipywidgets.HTML()
        self.outputs = {name: ipywidgets.Output() for name in FIGURES}
        self._fill_options()
        for dropdown in (self.workflow, self.version, self.component):  # first: before a refresh
            dropdown.observe(_keep_all_shown, names="value")
        for control in (self.version, self.component, self.since, self.until, self.bucket):
            control.observe(self._on_filter, names="value")
        self.workflow.observe(self._on_workflow, names="value")
        self.reload.on_click(lambda _button: self.refresh(reload_options=True))
        filters = ipywidgets.VBox(
            [
                ipywidgets.HBox([self.workflow, self.version, self.component]),
                ipywidgets.HBox([self.since, self.until, self.bucket, self.reload]),
            ]
        )
        charts = ipywidgets.GridBox(
            list(self.outputs.values()),
            layout=ipywidgets.Layout(grid_template_columns="repeat(2, minmax(0, 1fr))"),
        )
        super().__init__([filters, self.status, self.table, charts], **kwargs)
        self.add_class("wfb-stats-dashboard")
        self.refresh()

    @property
    def figures(self) -> dict[str, go.Figure]:
        return self.data.figures if self.data else {}

    def filters(self) -> Filters:
        since, until = day_range(self.since.value, self.until.value)
        return Filters(self.workflow.value, self.version.value, self.component.value, since, until)

    def refresh(self, *, reload_options: bool = False) -> None:
        """Query the source for the current filters and show the result (or say what is wrong)."""
        if reload_options:
            self._fill_options()
        filters = self.filters()
        if filters.since and filters.until and filters.since >= filters.until:
            self.status.value = "<b>The start date is after the end date.</b>"
            return
        from wfb_jupyter.storage import StorageError

        began = perf_counter()
        bucket, note = shown_bucket(self.bucket.value, filters)
        try:
            data = build_dashboard(self.source, filters, bucket)
        except StorageError as error:
            self.status.value = f"<b>Statistics unavailable:</b> {html.escape(str(error))}"
            return
        self.data = data
        self.table.value = summary_table_html(data.executions)
        sent = self._show(data.figures)
        # Last, after the charts were sent: a browser that sees this refresh number has them all.
        self.refreshes += 1
        notes = [note, COMPONENT_NOTE if filters.component is not None else ""]
        self.status.value = updated_html(
            self.refreshes, perf_counter() - began, " ".join(filter(None, notes)), sent
        )

    def _fill_options(self) -> None:
        self._quiet = True
        try:
            _refill(self.workflow, _choices(self.source.workflows()))
            _refill(self.version, _choices(self.source.versions(self.workflow.value)))
            _refill(self.component, _choices(self.source.components()))
        finally:
            self._quiet = False

    def _on_workflow(self, _change: dict[str, Any]) -> None:
        if self._quiet:
            return
        self._quiet = True
        try:  # versions belong to a workflow: offer the chosen one's
            _refill(self.version, _choices(self.source.versions(self.workflow.value)))
        finally:
            self._quiet = False
        self.refresh()

    def _on_filter(self, _change: dict[str, Any]) -> None:
        if not self._quiet:
            self.refresh()

    def _show(self, figures: dict[str, go.Figure]) -> int:
        """Send the charts that changed to the browser; how many were sent."""
        import plotly.io as pio
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is None:
            return 0  # outside a kernel nothing can draw a figure; they stay on ``self.figures``
        sent = 0
        for name, output in self.outputs.items():
            # Redrawing a chart is most of what a browser spends on a filter change: only the ones whose
            # content changed are sent again (a new bucket changes one chart of five).
            drawn = pio.to_json(figures[name], validate=False)
            if self._drawn.get(name) == drawn:
                continue
            self._drawn[name] = drawn
            sent += 1
            output.clear_output(wait=True)
            with output:  # the JSON just compared is what is sent: the figure is serialised once
                display({PLOTLY_MIME_TYPE: json.loads(drawn)}, raw=True)
        return sent


def _keep_all_shown(change: dict[str, Any]) -> None:
    """Choosing "(all)" again (from the browser, or ``value = None``) leaves ipywidgets with no index, which
    a browser shows as a blank box: point it back at "(all)", which changes no value and starts no refresh."""
    dropdown = change["owner"]
    if change["new"] is None and dropdown.index is None and dropdown.options:
        dropdown.index = 0


def _refill(dropdown: ipywidgets.Dropdown, options: list[tuple[str, Any]]) -> None:
    """New options, keeping the selection when it is still offered."""
    previous = dropdown.value
    dropdown.options = options
    # By index: a Dropdown whose value is None counts as having no selection and shows a blank box,
    # so "(all)" (whose value is None) must be chosen by its position.
    dropdown.index = next((i for i, (_, value) in enumerate(options) if value == previous), 0)
