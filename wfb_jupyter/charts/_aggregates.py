"""Charts over many executions or attempts: duration distributions, percentiles over time, success rates
and the slowest components. Each takes a frame from ``wfb_jupyter.statistics``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from wfb_jupyter.charts._common import (
    COMPLETED_COLOUR,
    DURATION_AXIS,
    FAILED_COLOUR,
    colour_of,
    empty_figure,
    group_labels,
    percent_text,
    require_columns,
    template,
)

GROUPINGS = ("workflow", "component")
MARKED_POINTS = 100
DISTRIBUTION_KINDS = ("box", "histogram")
# Columns of the statistics frames that are measures, not group keys.
_MEASURES = frozenset(
    {
        "bucket",
        "executions",
        "completed",
        "failed",
        "running",
        "attempts",
        "successes",
        "failures",
        "retries",
        "success_rate",
        "mean_ms",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "max_ms",
    }
)


def _check_grouping(by: str) -> None:
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {GROUPINGS}, not {by!r}")


def duration_distribution(
    frame: pd.DataFrame, by: str = "workflow", *, kind: str = "box"
) -> go.Figure:
    """How long runs (``executions_frame``) or attempts (``activity_attempts_frame``) take, one box (or
    histogram) per workflow or component, in name order. Rows without a duration are left out."""
    _check_grouping(by)
    if kind not in DISTRIBUTION_KINDS:
        raise ValueError(f"kind must be one of {DISTRIBUTION_KINDS}, not {kind!r}")
    title = f"Duration per {by}"
    require_columns(frame, (by, "duration_ms"), "duration_distribution")
    timed = frame[frame["duration_ms"].notna()]
    if timed.empty:
        return empty_figure(title)
    timed = timed.assign(_group=group_labels(timed, [by]))
    figure = go.Figure()
    for index, (group, rows) in enumerate(
        sorted(timed.groupby("_group"), key=lambda item: item[0])
    ):
        values = rows["duration_ms"].astype(float).tolist()
        colour = colour_of(index)
        if kind == "box":
            figure.add_trace(
                go.Box(name=group, y=values, marker_color=colour, boxpoints="outliers")
            )
        else:
            figure.add_trace(go.Histogram(name=group, x=values, marker_color=colour, opacity=0.7))
    if kind == "box":
        figure.update_layout(xaxis_title=by, yaxis_title=DURATION_AXIS, showlegend=False)
    else:
        figure.update_layout(xaxis_title=DURATION_AXIS, yaxis_title="count", barmode="overlay")
    figure.update_layout(title=title, template=template())
    return figure


# The percentiles a box of ``duration_boxes`` is drawn from: whiskers, box edges and the median line.
BOX_PERCENTILES = (5, 25, 50, 75, 95)


def duration_boxes(summary: pd.DataFrame, by: str = "workflow") -> go.Figure:
    """How long runs or attempts take, one box per workflow or component, drawn from a summary read with
    ``percentiles=BOX_PERCENTILES`` (``execution_summaries``/``activity_summaries``): the box spans p25 to
    p75 with the median inside and the mean dashed, the whiskers reach p5 and p95. It covers every run,
    however many, at the cost of a few numbers per group."""
    _check_grouping(by)
    columns = [f"p{percent}_ms" for percent in BOX_PERCENTILES]
    title = f"Duration per {by} (box p25-p75, whiskers p5-p95)"
    require_columns(summary, (by, "mean_ms", *columns), "duration_boxes")
    timed = summary[summary["p50_ms"].notna()]
    if timed.empty:
        return empty_figure(title)
    timed = timed.assign(_group=group_labels(timed, [by])).sort_values("_group", kind="stable")
    low, q1, median, q3, high = (timed[column].astype(float).tolist() for column in columns)
    figure = go.Figure()
    for index, group in enumerate(timed["_group"]):
        figure.add_trace(
            go.Box(
                name=group,
                x=[group],
                lowerfence=[low[index]],
                q1=[q1[index]],
                median=[median[index]],
                q3=[q3[index]],
                upperfence=[high[index]],
                mean=[float(timed["mean_ms"].iloc[index])],
                boxmean=True,
                marker_color=colour_of(index),
            )
        )
    figure.update_layout(
        title=title,
        template=template(),
        xaxis_title=by,
        yaxis_title=DURATION_AXIS,
        showlegend=False,
    )
    return figure


def percentiles_over_time(
    summary: pd.DataFrame,
    *,
    percentiles: Sequence[int] = (50, 95),
    title: str = "Duration percentiles over time",
) -> go.Figure:
    """p50 (solid) and p95 (dashed) duration per time bucket, from ``activity_summary(..., bucket=...)`` or
    ``execution_summary(..., bucket=...)``; one colour per group of the summary's other keys."""
    columns = [f"p{percent}_ms" for percent in percentiles]
    require_columns(summary, ["bucket", *columns], "percentiles_over_time")
    if summary.empty:
        return empty_figure(title)
    keys = [name for name in summary.columns if name not in _MEASURES]
    frame = summary.assign(_group=group_labels(summary, keys))
    dashes = ("solid", "dash", "dot", "dashdot")
    figure = go.Figure()
    for index, (group, rows) in enumerate(
        sorted(frame.groupby("_group"), key=lambda item: item[0])
    ):
        rows = rows.sort_values("bucket")
        for number, (percent, column) in enumerate(zip(percentiles, columns, strict=True)):
            figure.add_trace(
                go.Scatter(
                    name=f"{group} p{percent}" if keys else f"p{percent}",
                    legendgroup=group,
                    # Arrays, not lists: Plotly checks a list item by item, hundreds of buckets a trace.
                    x=_utc_times(rows["bucket"]),
                    y=rows[column].astype(float).to_numpy(),
                    # A marker per point helps read a few; hundreds of them only cost drawing time.
                    mode="lines+markers" if len(rows) <= MARKED_POINTS else "lines",
                    line={"color": colour_of(index), "dash": dashes[number % len(dashes)]},
                )
            )
    figure.update_layout(
        title=title, template=template(), xaxis_title="time (UTC)", yaxis_title=DURATION_AXIS
    )
    return figure


def _utc_times(moments: pd.Series) -> np.ndarray:
    """Moments as naive UTC datetimes (the axis says UTC), in the array form Plotly takes without checks."""
    naive: np.ndarray = pd.to_datetime(moments, utc=True).dt.tz_convert(None).to_numpy()
    return naive


def success_rate(frame: pd.DataFrame, by: str = "workflow") -> go.Figure:
    """Success rate per workflow or component as bars labelled with the number of outcomes behind them.

    Takes a summary (``execution_summary``: completed among closed runs; ``activity_summary``: successful
    attempts) or a row-level frame with a ``status`` column (runs still going are not counted).
    """
    _check_grouping(by)
    title = f"Success rate per {by}"
    require_columns(frame, (by,), "success_rate")
    counts = _success_counts(frame, by)
    counts = counts[counts["total"] > 0]
    if counts.empty:
        return empty_figure(title)
    counts = counts.sort_values("_group", kind="stable")
    rates = (counts["succeeded"] / counts["total"] * 100).round(1)
    figure = go.Figure(
        go.Bar(
            x=list(counts["_group"]),
            y=rates.tolist(),
            marker_color=COMPLETED_COLOUR,
            text=[
                f"{percent_text(succeeded / total)} of {int(total)}"
                for succeeded, total in zip(counts["succeeded"], counts["total"], strict=True)
            ],
            textposition="auto",
            hovertemplate="%{x}: %{y}%<extra></extra>",
        )
    )
    figure.update_layout(
        title=title,
        template=template(),
        xaxis_title=by,
        yaxis={"title": {"text": "success rate (%)"}, "range": [0, 105]},
    )
    return figure


def _success_counts(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    labelled = frame.assign(_group=group_labels(frame, [by]))
    if {"successes", "attempts"} <= set(frame.columns):
        succeeded, total = labelled["successes"], labelled["attempts"]
    elif {"completed", "failed"} <= set(frame.columns):
        succeeded, total = labelled["completed"], labelled["completed"] + labelled["failed"]
    elif "status" in frame.columns:
        finished = labelled["status"].notna() & (labelled["status"] != "running")
        succeeded, total = (labelled["status"] == "completed").astype(int), finished.astype(int)
    else:
        raise ValueError(
            "success_rate needs a statistics summary (successes/attempts or completed/failed) "
            "or rows with a status column"
        )
    counts = pd.DataFrame({"_group": labelled["_group"], "succeeded": succeeded, "total": total})
    return counts.groupby("_group", as_index=False)[["succeeded", "total"]].sum()


def slowest_components(
    summary: pd.DataFrame, top: int = 10, *, metric: str = "p95_ms"
) -> go.Figure:
    """The ``top`` components by ``metric`` (p95 by default) from ``activity_summary(by="component")``,
    slowest on top; ties in name order."""
    title = f"Slowest components ({metric.removesuffix('_ms')})"
    require_columns(summary, ("component", metric), "slowest_components")
    timed = summary[summary[metric].notna()]
    if timed.empty or top < 1:
        return empty_figure(title)
    keys = [name for name in summary.columns if name not in _MEASURES]
    ranked = timed.assign(_group=group_labels(timed, keys), _value=timed[metric].astype(float))
    ranked = ranked.sort_values(["_value", "_group"], ascending=[False, True], kind="stable").head(
        top
    )
    figure = go.Figure(
        go.Bar(
            orientation="h",
            y=list(ranked["_group"]),
            x=ranked["_value"].tolist(),
            marker_color=colour_of(0),
            text=[f"{value:,.0f} ms" for value in ranked["_value"]],
            textposition="auto",
        )
    )
    figure.update_layout(
        title=title,
        template=template(),
        xaxis_title=f"{metric.removesuffix('_ms')} {DURATION_AXIS}",
        yaxis={"title": {"text": "component"}, "autorange": "reversed"},
    )
    return figure


def retries(summary: pd.DataFrame) -> go.Figure:
    """Retries and failed attempts per component (``activity_summary(by="component")``), most retried on top:
    where the flaky work is."""
    title = "Retries per component"
    require_columns(summary, ("component", "retries", "failures"), "retries")
    counted = summary[(summary["retries"].fillna(0) > 0) | (summary["failures"].fillna(0) > 0)]
    if counted.empty:
        return empty_figure(title)
    keys = [name for name in summary.columns if name not in _MEASURES]
    ranked = counted.assign(_group=group_labels(counted, keys)).sort_values(
        ["retries", "_group"], ascending=[False, True], kind="stable"
    )
    figure = go.Figure()
    for column, label, colour in (
        ("retries", "retries", colour_of(1)),
        ("failures", "failed attempts", FAILED_COLOUR),
    ):
        figure.add_trace(
            go.Bar(
                name=label,
                orientation="h",
                y=list(ranked["_group"]),
                x=ranked[column].fillna(0).astype(int).tolist(),
                marker_color=colour,
            )
        )
    figure.update_layout(
        title=title,
        template=template(),
        barmode="group",
        xaxis_title="attempts",
        yaxis={"title": {"text": "component"}, "autorange": "reversed"},
    )
    return figure
