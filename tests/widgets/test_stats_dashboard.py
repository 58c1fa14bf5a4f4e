"""The statistics dashboard without a browser: set the controls, read what it shows."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine

from wfb_jupyter.charts import NO_DATA, percent_text
from wfb_jupyter.services import Filters, StatisticsSource
from wfb_jupyter.statistics import (
    Grouping,
    record_activity_executions,
    record_workflow_execution,
)
from wfb_jupyter.storage import (
    create_project,
    create_storage_engine,
    create_user,
    get_or_create_workflow,
    session_scope,
    upgrade_database,
)
from wfb_jupyter.widgets import StatisticsDashboard
from wfb_jupyter.widgets._stats_dashboard import (
    PLOTLY_MIME_TYPE,
    build_dashboard,
    day_range,
    shown_bucket,
    updated_html,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_storage_engine(f"sqlite:///{tmp_path}/wfb.db")
    upgrade_database(engine)
    yield engine
    engine.dispose()


def seed(engine: Engine) -> str:
    """orders v1 (2 ok runs), orders v2 (1 failed, next day), HOSTILE (1 ok), idle (1 still running);
    attempts of fetch and store."""
    with session_scope(engine) as session:
        project = create_project(session, create_user(session, "alice").id, "etl").id
        runs = [
            ("orders", 1, "r1", "completed", T0, 1),
            ("orders", 1, "r2", "completed", T0 + timedelta(hours=1), 3),
            ("orders", 2, "r3", "failed", T0 + timedelta(days=1), 10),
            (HOSTILE, 1, "h1", "completed", T0, 2),
            ("idle", 1, "i1", "running", T0, None),
        ]
        for name, version, run_id, status, started, seconds in runs:
            workflow_id = get_or_create_workflow(session, project, name).id
            common = {
                "workflow_id": workflow_id,
                "version": version,
                "temporal_workflow_id": name,
                "temporal_run_id": run_id,
            }
            record_workflow_execution(session, **common, started_at=started)
            if seconds is not None:
                record_workflow_execution(
                    session, **common, status=status, closed_at=started + timedelta(seconds=seconds)
                )
        orders = get_or_create_workflow(session, project, "orders").id
        record_activity_executions(
            session,
            [
                {
                    "project_id": project,
                    "workflow_id": orders,
                    "temporal_workflow_id": "orders",
                    "temporal_run_id": "r1",
                    "step_id": "load",
                    "component": component,
                    "status": status,
                    "attempt": attempt,
                    "started_at": T0,
                    "duration_ms": duration,
                }
                for component, status, attempt, duration in [
                    ("fetch", "failed", 1, 100),
                    ("fetch", "completed", 2, 200),
                    ("store", "completed", 1, 5_000),
                ]
            ],
        )
    return project


def titles(dashboard: StatisticsDashboard) -> dict[str, str]:
    return {name: figure.layout.title.text for name, figure in dashboard.figures.items()}


def test_dashboard_shows_every_chart_and_the_summary(engine: Engine) -> None:
    dashboard = StatisticsDashboard(StatisticsSource(engine, seed(engine)))

    assert [label for label, _ in dashboard.workflow.options] == [
        "(all)",
        HOSTILE,
        "idle",
        "orders",
    ]
    assert [value for _, value in dashboard.version.options] == [None, 1, 2]
    assert [value for _, value in dashboard.component.options] == [None, "fetch", "store"]
    assert set(dashboard.figures) == {
        "durations",
        "percentiles",
        "workflow_success",
        "component_success",
        "slowest",
    }
    assert not any(NO_DATA in title for title in titles(dashboard).values())
    durations = dashboard.figures["durations"]
    assert sorted(trace.name for trace in durations.data) == sorted(
        ["&lt;script&gt;alert(1)&lt;/script&gt;", "orders"]
    )
    orders_box = next(trace for trace in durations.data if trace.name == "orders")
    # orders ran 1 s, 3 s and 10 s: every run, from the rollups' percentiles (within 1 %).
    assert orders_box.median[0] == pytest.approx(3_000, rel=0.01)
    assert orders_box.mean[0] == pytest.approx(14_000 / 3)
    (bars,) = dashboard.figures["component_success"].data
    assert list(bars.x) == ["fetch", "store"] and list(bars.y) == [50.0, 100.0]
    assert list(dashboard.figures["slowest"].data[0].y) == ["store", "fetch"]
    assert dashboard.data is not None and len(dashboard.data.executions) == 4
    idle = dashboard.data.executions.set_index("workflow").loc["idle"]
    assert (idle["executions"], idle["running"]) == (1, 1)
    (idle_row,) = [row for row in dashboard.table.value.split("<tr>") if "<td>idle</td>" in row]
    assert "<td>–</td>" in idle_row  # no success rate, no durations yet: a dash, not an error
    assert list(dashboard.figures["workflow_success"].data[0].x) == [
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "orders",
    ]  # a workflow with no finished run has no success rate yet
    assert "<script>" not in dashboard.table.value and "&lt;script&gt;" in dashboard.table.value
    assert "67%" not in dashboard.table.value and "100%" in dashboard.table.value


def test_choosing_a_workflow_narrows_versions_and_charts(engine: Engine) -> None:
    dashboard = StatisticsDashboard(StatisticsSource(engine, seed(engine)))
    dashboard.workflow.value = HOSTILE
    assert [value for _, value in dashboard.version.options] == [None, 1]
    assert [trace.name for trace in dashboard.figures["durations"].data] == [
        "&lt;script&gt;alert(1)&lt;/script&gt;"
    ]
    assert dashboard.filters().workflow == HOSTILE

    dashboard.workflow.value = "orders"
    dashboard.version.value = 2
    assert dashboard.data is not None
    assert list(dashboard.data.executions["version"]) == [2]
    assert list(dashboard.figures["workflow_success"].data[0].y) == [0.0]
    assert (
        NO_DATA in dashboard.figures["slowest"].layout.title.text
    )  # v2's run recorded no attempts


def test_choosing_a_component_and_dates(engine: Engine) -> None:
    dashboard = StatisticsDashboard(StatisticsSource(engine, seed(engine)))
    dashboard.component.value = "fetch"
    assert list(dashboard.figures["slowest"].data[0].y) == ["fetch"]
    assert "(fetch)" in dashboard.figures["percentiles"].layout.title.text
    assert "The component narrows the attempts" in dashboard.status.value  # not the runs: says so

    dashboard.component.value = None
    dashboard.since.value = date(2026, 3, 2)
    assert "The component narrows" not in dashboard.status.value
    assert list(dashboard.data.executions["version"]) == [2]  # type: ignore[union-attr]
    dashboard.until.value = date(2026, 3, 2)
    assert list(dashboard.data.executions["version"]) == [2]  # type: ignore[union-attr]
    dashboard.since.value = date(2026, 3, 5)
    assert "after the end date" in dashboard.status.value
    dashboard.until.value = date(2026, 3, 6)
    assert "after the end date" not in dashboard.status.value
    assert all(NO_DATA in title for title in titles(dashboard).values())
    assert "No executions" in dashboard.table.value


def test_bucket_and_refresh_pick_up_new_data(engine: Engine) -> None:
    project = seed(engine)
    dashboard = StatisticsDashboard(StatisticsSource(engine, project), bucket="day")
    assert len(dashboard.figures["percentiles"].data[0].x) == 2  # two days with runs
    dashboard.bucket.value = "hour"
    assert len(dashboard.figures["percentiles"].data[0].x) == 3
    with session_scope(engine) as session:
        get_or_create_workflow(session, project, "billing")
    dashboard.reload.click()
    assert "billing" in [label for label, _ in dashboard.workflow.options]


def test_the_status_line_numbers_each_update_after_its_charts(engine: Engine) -> None:
    dashboard = StatisticsDashboard(StatisticsSource(engine, seed(engine)))
    assert "wfb-stats-dashboard" in dashboard._dom_classes
    assert "wfb-stats-component" in dashboard.component._dom_classes
    assert 'class="wfb-stats-updated" data-refresh="1"' in dashboard.status.value
    assert re.search(r">Updated in [\d,]+ ms<", dashboard.status.value)
    shown: list[str] = []
    dashboard._show = lambda figures: shown.append(dashboard.status.value)  # type: ignore[method-assign]
    dashboard.component.value = "fetch"
    # The charts go out before the status line says they are there.
    assert 'data-refresh="1"' in shown[-1]
    assert 'data-refresh="2"' in dashboard.status.value
    dashboard.since.value, dashboard.until.value = date(2026, 3, 5), date(2026, 3, 4)
    assert dashboard.refreshes == 3  # the start date alone was a change; the bad window is not
    assert "after the end date" in dashboard.status.value
    assert updated_html(12, 1.2345, sent=2) == (
        '<span class="wfb-stats-updated" data-refresh="12" data-sent="2">Updated in 1,234 ms</span>'
    )


def test_choosing_all_again_shows_all_not_a_blank_box(engine: Engine) -> None:
    dashboard = StatisticsDashboard(StatisticsSource(engine, seed(engine)))
    dashboard.workflow.value = "orders"
    dashboard.component.value = "fetch"
    refreshes = dashboard.refreshes
    dashboard.workflow.index = 0  # what the browser sends when a person picks "(all)"
    dashboard.component.value = None
    assert (dashboard.workflow.label, dashboard.workflow.value) == ("(all)", None)
    assert (dashboard.component.label, dashboard.component.value) == ("(all)", None)
    assert dashboard.refreshes == refreshes + 2  # one refresh per choice
    assert dashboard.filters() == Filters()


def test_empty_project_shows_no_data_everywhere(engine: Engine) -> None:
    with session_scope(engine) as session:
        project = create_project(session, create_user(session, "bob").id, "empty").id
    dashboard = StatisticsDashboard(StatisticsSource(engine, project))
    assert all(NO_DATA in title for title in titles(dashboard).values())
    assert "No executions" in dashboard.table.value
    assert [value for _, value in dashboard.workflow.options] == [None]


class RecordingSource:
    """A source the notebook layer could pass: canned frames, and a record of what was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, Filters]] = []

    def workflows(self) -> list[str]:
        return ["w"]

    def versions(self, workflow: str | None) -> list[int]:
        return [7]

    def components(self) -> list[str]:
        return ["c"]

    def execution_summaries(
        self, filters: Filters, groupings: Sequence[Grouping]
    ) -> list[pd.DataFrame]:
        self.asked.append(("execution_summaries", filters))
        frame = pd.DataFrame({"workflow": ["w"], "version": [7], "completed": [1], "failed": [1]})
        frame[["success_rate", "mean_ms"]] = [0.5, 1.0]
        return [self._shaped(frame, grouping, ("workflow", "version")) for grouping in groupings]

    def activity_summaries(
        self, filters: Filters, groupings: Sequence[Grouping]
    ) -> list[pd.DataFrame]:
        self.asked.append(("activity_summaries", filters))
        frame = pd.DataFrame({"component": ["c"], "attempts": [4], "successes": [3]})
        return [self._shaped(frame, grouping, ("component",)) for grouping in groupings]

    @staticmethod
    def _shaped(frame: pd.DataFrame, grouping: Grouping, keys: Sequence[str]) -> pd.DataFrame:
        frame = frame.copy()
        for percent in grouping.percentiles:
            frame[f"p{percent}_ms"] = float(percent)
        if grouping.bucket:
            frame["bucket"] = [pd.Timestamp(T0)]
        return frame[[*grouping.by, *(c for c in frame.columns if c not in keys)]]


def test_any_source_with_the_methods_will_do() -> None:
    source = RecordingSource()
    dashboard = StatisticsDashboard(source)
    dashboard.version.value = 7
    assert source.asked[-1][1] == Filters(version=7)
    assert list(dashboard.figures["component_success"].data[0].y) == [75.0]
    assert list(dashboard.figures["slowest"].data[0].x) == [95.0]
    (box,) = dashboard.figures["durations"].data
    assert (list(box.lowerfence), list(box.median), list(box.upperfence)) == ([5.0], [50.0], [95.0])
    # One read of runs and one of attempts per refresh, whatever the dashboard draws from them.
    assert [question for question, _ in source.asked[-2:]] == [
        "execution_summaries",
        "activity_summaries",
    ]


def test_build_dashboard_and_day_range_are_plain_functions() -> None:
    data = build_dashboard(RecordingSource(), Filters(component="c"), bucket="minute")
    assert data.bucket == "minute" and set(data.figures) >= {"durations", "slowest"}
    since, until = day_range(date(2026, 3, 1), date(2026, 3, 1))
    assert (since, until) == (T0.replace(hour=0), T0.replace(hour=0) + timedelta(days=1))
    assert day_range(None, None) == (None, None)


def test_unfiltered_dropdowns_show_all_not_a_blank_box() -> None:
    import ipywidgets

    from wfb_jupyter.widgets._stats_dashboard import _choices, _refill

    dropdown = ipywidgets.Dropdown()
    _refill(dropdown, _choices(["orders", "reports"]))
    assert (dropdown.label, dropdown.value) == ("(all)", None)
    dropdown.value = "reports"
    _refill(dropdown, _choices(["orders", "reports", "zeta"]))
    assert dropdown.label == "reports"
    _refill(dropdown, _choices(["orders"]))
    assert (dropdown.label, dropdown.value) == ("(all)", None)


def test_minute_buckets_only_over_a_day_at_most(engine: Engine) -> None:
    dashboard = StatisticsDashboard(StatisticsSource(engine, seed(engine)), bucket="hour")
    dashboard.bucket.value = "minute"  # over the whole history: too many points to draw
    assert dashboard.data is not None and dashboard.data.bucket == "hour"
    assert "Minute buckets need a window of one day at most" in dashboard.status.value
    dashboard.since.value = dashboard.until.value = T0.date()
    assert dashboard.data.bucket == "minute" and "Minute buckets" not in dashboard.status.value
    assert shown_bucket("day", Filters()) == ("day", "")


def test_only_charts_whose_content_changed_are_sent_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import IPython
    import IPython.display

    sent: list[str] = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())

    def display(bundle: dict[str, Any], raw: bool) -> None:
        assert raw and set(bundle) == {PLOTLY_MIME_TYPE}
        sent.append(bundle[PLOTLY_MIME_TYPE]["layout"]["title"]["text"])

    monkeypatch.setattr(IPython.display, "display", display)
    dashboard = StatisticsDashboard(StatisticsSource(engine, seed(engine)), bucket="day")
    assert len(sent) == 5  # the first time, every chart
    sent.clear()
    dashboard.bucket.value = "hour"  # only the chart over time depends on the bucket
    assert sent == [dashboard.figures["percentiles"].layout.title.text]
    sent.clear()
    dashboard.reload.click()  # nothing changed: nothing sent, and the status line still moves on
    assert sent == [] and 'data-refresh="3" data-sent="0"' in dashboard.status.value


def test_a_success_rate_is_never_rounded_to_all_or_nothing() -> None:
    assert [percent_text(rate) for rate in (1.0, 0.0, 0.5, 2 / 3, 0.9996, 0.0004)] == [
        "100%",
        "0%",
        "50%",
        "66.7%",
        ">99.9%",
        "<0.1%",
    ]
