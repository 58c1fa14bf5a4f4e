"""The timeline of one execution: a Gantt chart with one row per step (per iteration in a for_each) and one
bar per attempt."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from wfb_jupyter.charts._common import (
    COMPLETED_COLOUR,
    FAILED_COLOUR,
    RUNNING_COLOUR,
    empty_figure,
    hover_text,
    is_missing,
    require_columns,
    template,
)

TITLE = "Execution timeline"
# Outcomes in legend order; every status other than these two is a failure (failed, timed_out, cancelled...).
OUTCOMES = (
    ("completed", COMPLETED_COLOUR),
    ("failed", FAILED_COLOUR),
    ("running", RUNNING_COLOUR),
)
_NEEDED = ("step_id", "attempt", "status", "started_at")
# Up to this many rows a for_each gets one row per iteration; past it, one row per step (hover names the item).
MAX_ROWS = 60


def execution_timeline(attempts: pd.DataFrame, *, title: str = TITLE) -> go.Figure:
    """A Gantt chart of an execution's activity attempts (``activity_attempts_frame(..., execution=...)``).

    Steps are rows, in the order they first started; each attempt is a bar labelled with its attempt number,
    coloured by outcome, so retries show as a red bar (or several) before the green one. Hovering shows the
    component, status, duration and error. A still running attempt reaches the latest time in the frame.
    """
    require_columns(attempts, _NEEDED, "execution_timeline")
    if attempts.empty:
        return empty_figure(title)
    frame = attempts.sort_values(["started_at", "step_id", "attempt"], kind="stable").copy()
    frame["end"] = _ends(frame)
    frame["outcome"] = frame["status"].map(_outcome)
    frame["row"] = _rows(frame)
    steps = list(dict.fromkeys(frame["row"]))

    figure = go.Figure()
    for outcome, colour in OUTCOMES:
        bars = frame[frame["outcome"] == outcome]
        if bars.empty:
            continue
        figure.add_trace(
            go.Bar(
                name=outcome,
                orientation="h",
                y=[hover_text(row) for row in bars["row"]],
                base=[start.isoformat() for start in bars["started_at"]],
                # On a date axis a bar's length is in milliseconds.
                x=[
                    (end - start).total_seconds() * 1000
                    for start, end in zip(bars["started_at"], bars["end"], strict=True)
                ],
                marker={"color": colour},
                text=[f"#{int(number)}" for number in bars["attempt"]],
                textposition="inside",
                insidetextanchor="middle",
                customdata=[_hover_fields(row) for _, row in bars.iterrows()],
                hovertemplate=(
                    "<b>%{y}</b> attempt %{customdata[1]}<br>component: %{customdata[0]}"
                    "<br>status: %{customdata[2]}<br>duration: %{customdata[3]}"
                    "%{customdata[4]}<extra></extra>"
                ),
            )
        )
    figure.update_layout(
        title=title,
        template=template(),
        barmode="overlay",
        legend_title_text="attempt outcome",
        xaxis={"type": "date", "title": {"text": "time (UTC)"}},
        yaxis={
            "title": {"text": "step"},
            "categoryorder": "array",
            "categoryarray": [hover_text(step) for step in steps],
            "autorange": "reversed",  # the first step on top, like reading the definition
        },
    )
    return figure


def _rows(frame: pd.DataFrame) -> pd.Series:
    """Each attempt's row: its iteration (``enrich[3]``) when the frame knows activity ids and there are not
    too many of them, else its step."""
    steps = frame["step_id"].astype(str)
    if "activity_id" not in frame:
        return steps
    iterations = frame["activity_id"].map(
        lambda activity_id: None if is_missing(activity_id) else str(activity_id).split("#", 1)[0]
    )
    rows = iterations.where(iterations.notna(), steps)
    return rows if rows.nunique() <= MAX_ROWS else steps


def _outcome(status: object) -> str:
    if status == "completed":
        return "completed"
    if status == "running" or is_missing(status):
        return "running"
    return "failed"


def _ends(frame: pd.DataFrame) -> pd.Series:
    """When each attempt ended: its finish time, else its start plus its duration, else (still running)
    the latest time the frame knows of."""
    # One resolution for both, or pandas refuses to fill one with the other.
    starts = pd.to_datetime(frame["started_at"], utc=True).dt.as_unit("us")
    ends = frame["finished_at"] if "finished_at" in frame else pd.Series(pd.NaT, index=frame.index)
    ends = pd.to_datetime(ends, utc=True).dt.as_unit("us")
    if "duration_ms" in frame:
        durations = pd.to_timedelta(frame["duration_ms"].astype("Float64").astype(float), unit="ms")
        ends = ends.fillna(starts + durations)
    latest = max(starts.max(), ends.max()) if ends.notna().any() else starts.max()
    return ends.fillna(latest)


def _hover_fields(row: pd.Series) -> list[str]:
    duration = row["end"] - row["started_at"]
    error = row.get("error")
    item = row.get("item")
    where = "" if is_missing(item) else f" (item {int(item)})"
    return [
        hover_text(row.get("component")) + where,
        str(int(row["attempt"])),
        hover_text(row["status"]),
        f"{duration.total_seconds() * 1000:.0f} ms",
        "" if is_missing(error) else "<br>error: " + hover_text(error),
    ]
