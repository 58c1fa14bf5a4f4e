"""Chart structure (traces, axes, colours, counts, order), empty data, and the offline HTML export."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

from wfb_jupyter.charts import (
    COMPLETED_COLOUR,
    FAILED_COLOUR,
    NO_DATA,
    RUNNING_COLOUR,
    duration_boxes,
    duration_distribution,
    execution_timeline,
    percentiles_over_time,
    slowest_components,
    success_rate,
    write_charts_html,
)
from wfb_jupyter.statistics import (
    ACTIVITY_SUMMARY_COLUMNS,
    ATTEMPT_COLUMNS,
    EXECUTION_COLUMNS,
)
from wfb_jupyter.statistics._frames import to_frame

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def attempts(*rows: dict[str, Any]) -> pd.DataFrame:
    """A frame shaped exactly like ``activity_attempts_frame``'s."""
    defaults = dict.fromkeys(ATTEMPT_COLUMNS) | {
        "workflow": "orders",
        "workflow_id": "orders-1",
        "run_id": "r",
        "component": "fetch",
        "attempt": 1,
        "status": "completed",
        "started_at": T0,
    }
    return to_frame(
        [tuple((defaults | row)[name] for name in ATTEMPT_COLUMNS) for row in rows], ATTEMPT_COLUMNS
    )


def executions(*rows: dict[str, Any]) -> pd.DataFrame:
    defaults = dict.fromkeys(EXECUTION_COLUMNS) | {
        "workflow": "orders",
        "version": 1,
        "status": "completed",
    }
    return to_frame(
        [tuple((defaults | row)[name] for name in EXECUTION_COLUMNS) for row in rows],
        EXECUTION_COLUMNS,
    )


def summary(keys: dict[str, list[Any]], **measures: list[Any]) -> pd.DataFrame:
    size = len(next(iter(keys.values()))) if keys else len(next(iter(measures.values())))
    columns = {name: measures.get(name, [0] * size) for name in ACTIVITY_SUMMARY_COLUMNS}
    return pd.DataFrame({**keys, **columns})


class TestExecutionTimeline:
    def test_one_row_per_step_and_failed_attempts_in_red_with_their_number(self) -> None:
        frame = attempts(
            {
                "step_id": "load",
                "attempt": 1,
                "status": "failed",
                "duration_ms": 1000,
                "error": "timed out",
            },
            {
                "step_id": "load",
                "attempt": 2,
                "status": "timed_out",
                "started_at": T0 + timedelta(seconds=2),
                "duration_ms": 500,
            },
            {
                "step_id": "load",
                "attempt": 3,
                "started_at": T0 + timedelta(seconds=3),
                "duration_ms": 700,
            },
            {
                "step_id": "save",
                "started_at": T0 + timedelta(seconds=4),
                "finished_at": T0 + timedelta(seconds=6),
            },
            {"step_id": "notify", "status": "running", "started_at": T0 + timedelta(seconds=5)},
        )
        figure = execution_timeline(frame)

        by_name = {trace.name: trace for trace in figure.data}
        assert list(by_name) == ["completed", "failed", "running"]
        failed, completed = by_name["failed"], by_name["completed"]
        assert failed.marker.color == FAILED_COLOUR and completed.marker.color == COMPLETED_COLOUR
        assert by_name["running"].marker.color == RUNNING_COLOUR
        assert list(failed.y) == ["load", "load"] and list(failed.text) == ["#1", "#2"]
        assert list(completed.y) == ["load", "save"] and list(completed.text) == ["#3", "#1"]
        assert list(failed.x) == [1000.0, 500.0]
        assert list(completed.x) == [700.0, 2000.0]  # from finished_at when the duration is missing
        assert list(by_name["running"].x) == [
            1000.0
        ]  # up to the latest time known (save ends at 6 s)
        assert failed.base[0] == T0.isoformat()
        assert "timed out" in failed.customdata[0][4]
        assert list(figure.layout.yaxis.categoryarray) == ["load", "save", "notify"]
        assert figure.layout.yaxis.autorange == "reversed"
        assert figure.layout.xaxis.type == "date"
        assert figure.layout.xaxis.title.text == "time (UTC)"
        assert figure.layout.yaxis.title.text == "step"

    def test_hostile_names_and_errors_are_escaped(self) -> None:
        frame = attempts(
            {
                "step_id": "<img src=x onerror=alert(1)>",
                "status": "failed",
                "duration_ms": 1,
                "error": "<script>steal()</script>",
                "component": "<b>c</b>",
            }
        )
        trace = execution_timeline(frame).data[0]
        assert trace.y[0] == "&lt;img src=x onerror=alert(1)&gt;"
        assert (
            "<script>" not in trace.customdata[0][4] and "&lt;script&gt;" in trace.customdata[0][4]
        )
        assert trace.customdata[0][0] == "&lt;b&gt;c&lt;/b&gt;"

    def test_no_attempts_is_an_empty_figure_saying_so(self) -> None:
        figure = execution_timeline(attempts())
        assert len(figure.data) == 0
        assert NO_DATA in figure.layout.title.text

    def test_a_frame_without_the_needed_columns_is_a_clear_error(self) -> None:
        with pytest.raises(ValueError, match="step_id"):
            execution_timeline(pd.DataFrame({"x": [1]}))


class TestDurationDistribution:
    def test_one_box_per_group_in_name_order_without_untimed_rows(self) -> None:
        frame = executions(
            {"workflow": "orders", "duration_ms": 10},
            {"workflow": "billing", "duration_ms": 30},
            {"workflow": "orders", "duration_ms": 20},
            {"workflow": "orders", "status": "running"},
        )
        figure = duration_distribution(frame, by="workflow")
        assert [trace.type for trace in figure.data] == ["box", "box"]
        assert [trace.name for trace in figure.data] == ["billing", "orders"]
        assert list(figure.data[1].y) == [10.0, 20.0]
        assert figure.layout.yaxis.title.text == "duration (ms)"
        assert figure.layout.xaxis.title.text == "workflow"

    def test_histogram_per_component(self) -> None:
        frame = attempts({"component": "b", "duration_ms": 5}, {"component": "a", "duration_ms": 7})
        figure = duration_distribution(frame, by="component", kind="histogram")
        assert [(trace.type, trace.name) for trace in figure.data] == [
            ("histogram", "a"),
            ("histogram", "b"),
        ]
        assert figure.layout.xaxis.title.text == "duration (ms)"

    def test_empty_and_bad_arguments(self) -> None:
        assert NO_DATA in duration_distribution(executions({"status": "running"})).layout.title.text
        assert NO_DATA in duration_distribution(attempts(), by="component").layout.title.text
        with pytest.raises(ValueError, match="by must be one of"):
            duration_distribution(executions(), by="colour")
        with pytest.raises(ValueError, match="kind must be one of"):
            duration_distribution(executions(), kind="violin")


class TestDurationBoxes:
    def test_one_box_per_group_from_its_percentiles(self) -> None:
        frame = pd.DataFrame(
            {
                "workflow": ["orders", "<b>x</b>", "idle"],
                "mean_ms": [30.0, 3.0, None],
                **{
                    f"p{percent}_ms": [percent * 1.0, percent / 10, None]
                    for percent in (5, 25, 50, 75, 95)
                },
            }
        )
        figure = duration_boxes(frame, by="workflow")
        assert [trace.name for trace in figure.data] == ["&lt;b&gt;x&lt;/b&gt;", "orders"]
        orders = figure.data[1]
        assert (list(orders.lowerfence), list(orders.q1), list(orders.median)) == (
            [5.0],
            [25.0],
            [50.0],
        )
        assert (list(orders.q3), list(orders.upperfence), list(orders.mean)) == (
            [75.0],
            [95.0],
            [30.0],
        )
        assert orders.y is None  # drawn from five numbers, not from the runs themselves
        assert "p25-p75" in figure.layout.title.text

    def test_empty_and_bad_arguments(self) -> None:
        columns = ["workflow", "mean_ms", *(f"p{p}_ms" for p in (5, 25, 50, 75, 95))]
        assert NO_DATA in duration_boxes(pd.DataFrame(columns=columns)).layout.title.text
        with pytest.raises(ValueError, match=r"needs the columns \['p5_ms'"):
            duration_boxes(pd.DataFrame(columns=["workflow", "mean_ms", "p50_ms"]))
        with pytest.raises(ValueError, match="by must be one of"):
            duration_boxes(pd.DataFrame(columns=columns), by="colour")


class TestPercentilesOverTime:
    def test_p50_solid_and_p95_dashed_per_group(self) -> None:
        buckets = [pd.Timestamp(T0 + timedelta(hours=hour)) for hour in (1, 0, 1, 0)]
        frame = summary(
            {"component": ["b", "b", "a", "a"], "bucket": buckets},
            p50_ms=[2.0, 1.0, 20.0, 10.0],
            p95_ms=[4.0, 3.0, 40.0, 30.0],
        )
        figure = percentiles_over_time(frame)
        assert [trace.name for trace in figure.data] == ["a p50", "a p95", "b p50", "b p95"]
        assert [trace.line.dash for trace in figure.data] == ["solid", "dash", "solid", "dash"]
        assert figure.data[0].line.color == figure.data[1].line.color != figure.data[2].line.color
        assert list(figure.data[0].y) == [10.0, 20.0]  # ordered by bucket
        # As naive UTC times (the axis is "time (UTC)"): the same moments.
        assert list(pd.to_datetime(figure.data[0].x, utc=True)) == sorted(buckets[:2])
        assert figure.layout.xaxis.title.text == "time (UTC)"
        assert figure.layout.yaxis.title.text == "duration (ms)"

    def test_ungrouped_summary_and_empty(self) -> None:
        frame = summary({"bucket": [pd.Timestamp(T0)]}, p50_ms=[1.0], p95_ms=[2.0])
        assert [trace.name for trace in percentiles_over_time(frame).data] == ["p50", "p95"]
        empty = summary({"bucket": []}, p50_ms=[], p95_ms=[])
        assert NO_DATA in percentiles_over_time(empty).layout.title.text


class TestSuccessRate:
    def test_from_an_activity_summary_summed_per_component(self) -> None:
        frame = summary(
            {"workflow": ["x", "y", "x"], "component": ["fetch", "fetch", "store"]},
            attempts=[4, 6, 5],
            successes=[4, 3, 0],
        )
        (bars,) = success_rate(frame, by="component").data
        assert list(bars.x) == ["fetch", "store"]
        assert list(bars.y) == [70.0, 0.0]
        assert list(bars.text) == ["70% of 10", "0% of 5"]

    def test_a_label_never_says_all_while_something_failed(self) -> None:
        frame = summary({"component": ["fetch"]}, attempts=[2500], successes=[2499])
        (bars,) = success_rate(frame, by="component").data
        assert list(bars.text) == [">99.9% of 2500"]

    def test_from_rows_not_counting_runs_still_going(self) -> None:
        frame = executions(
            {"workflow": "orders", "status": "completed"},
            {"workflow": "orders", "status": "failed"},
            {"workflow": "orders", "status": "running"},
            {"workflow": "idle", "status": "running"},
        )
        figure = success_rate(frame)
        assert list(figure.data[0].x) == ["orders"] and list(figure.data[0].y) == [50.0]
        assert figure.layout.yaxis.title.text == "success rate (%)"

    def test_from_an_execution_summary_and_empty(self) -> None:
        frame = pd.DataFrame({"workflow": ["a"], "completed": [3], "failed": [1]})
        assert list(success_rate(frame).data[0].y) == [75.0]
        assert NO_DATA in success_rate(executions()).layout.title.text
        with pytest.raises(ValueError, match="success_rate needs"):
            success_rate(pd.DataFrame({"workflow": ["a"]}))


class TestSlowestComponents:
    def test_top_components_by_p95_slowest_first(self) -> None:
        names = [f"c{index:02d}" for index in range(15)]
        p95 = [float(index % 5) for index in range(15)]
        figure = slowest_components(summary({"component": names}, p95_ms=p95), top=4)
        (bars,) = figure.data
        assert list(bars.y) == ["c04", "c09", "c14", "c03"]  # ties in name order
        assert list(bars.x) == [4.0, 4.0, 4.0, 3.0]
        assert figure.layout.yaxis.autorange == "reversed"
        assert "p95" in figure.layout.xaxis.title.text

    def test_untimed_and_empty(self) -> None:
        frame = summary({"component": ["a"]}, p95_ms=[None])
        assert NO_DATA in slowest_components(frame).layout.title.text
        assert NO_DATA in slowest_components(summary({"component": []})).layout.title.text


def test_charts_from_real_frames(tmp_path: Path) -> None:
    """The frames the statistics package returns (nullable dtypes, UTC timestamps) chart without fuss."""
    from wfb_jupyter.statistics import (
        activity_attempts_frame,
        activity_summary,
        executions_frame,
        record_activity_executions,
    )
    from wfb_jupyter.storage import (
        create_project,
        create_storage_engine,
        create_user,
        session_scope,
        upgrade_database,
    )

    engine = create_storage_engine(f"sqlite:///{tmp_path}/wfb.db")
    upgrade_database(engine)
    generator = np.random.default_rng(7)
    with session_scope(engine) as session:
        project = create_project(session, create_user(session, "a").id, "p").id
        record_activity_executions(
            session,
            [
                {
                    "project_id": project,
                    "temporal_workflow_id": "w",
                    "temporal_run_id": "r",
                    "step_id": f"s{index % 3}",
                    "component": f"c{index % 2}",
                    "status": "failed" if index % 4 == 0 else "completed",
                    "attempt": 1 + index % 2,
                    "started_at": T0 + timedelta(minutes=index),
                    "duration_ms": int(generator.integers(1, 1000)),
                }
                for index in range(20)
            ],
        )
    with session_scope(engine) as session:
        rows = activity_attempts_frame(session, project, execution=("w", "r"))
        per_component = activity_summary(session, project, by="component")
        per_hour = activity_summary(session, project, by="component", bucket="hour")
        runs = executions_frame(session, project)
    engine.dispose()
    assert len(execution_timeline(rows).data) == 2
    assert len(duration_distribution(rows, by="component").data) == 2
    assert len(percentiles_over_time(per_hour).data) == 4
    assert list(success_rate(per_component, by="component").data[0].x) == ["c0", "c1"]
    assert len(slowest_components(per_component).data[0].y) == 2
    assert NO_DATA in duration_distribution(runs).layout.title.text


def test_write_charts_html_inlines_plotly_once_and_is_deterministic(tmp_path: Path) -> None:
    figures = {
        "Timeline <1>": execution_timeline(attempts({"step_id": "a", "duration_ms": 5})),
        "Empty": success_rate(executions()),
    }
    first = write_charts_html(figures, tmp_path / "one.html")
    second = write_charts_html(figures, tmp_path / "two.html", title="wfb-jupyter statistics")
    text = first.read_text(encoding="utf-8")
    assert text == second.read_text(encoding="utf-8")
    assert text.count('<script type="text/javascript">') >= 1
    assert text.count("Plotly.newPlot") == 2
    assert text.count('id="chart-1"') == 1 and text.count('id="chart-2"') == 1
    assert "<script src=" not in text  # nothing to fetch: works offline
    assert text.count(get_plotlyjs()[:500]) == 1  # plotly.js is in the file, once
    assert "<h2>Timeline &lt;1&gt;</h2>" in text
