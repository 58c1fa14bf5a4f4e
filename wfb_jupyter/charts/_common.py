"""What every chart shares: colours, the empty figure, column checks and group labels."""

from __future__ import annotations

import functools
import html
from collections.abc import Iterable, Sequence

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import qualitative

COMPLETED_COLOUR = "#2ca02c"
FAILED_COLOUR = "#d62728"
RUNNING_COLOUR = "#7f7f7f"
GROUP_COLOURS: tuple[str, ...] = tuple(qualitative.Plotly)
NO_DATA = "no data yet"
MISSING_GROUP = "(none)"
DURATION_AXIS = "duration (ms)"
# What the charts draw: the only trace types whose template defaults they need.
_TRACE_TYPES = frozenset({"bar", "box", "histogram", "scatter"})
# Parts of a template's layout for kinds of plot the charts never make (maps, 3D, polar, colour scales).
_UNUSED_LAYOUT = frozenset({"coloraxis", "colorscale", "geo", "polar", "scene", "ternary"})


@functools.cache
def template() -> go.layout.Template:
    """Plotly's ``plotly_white`` look, kept to what these charts use: every figure copies its template, and
    the whole one (defaults for every kind of trace) costs about 10 ms per figure and 7 KB sent per chart,
    which a dashboard on a long history pays five times on every filter change."""
    whole = pio.templates["plotly_white"].to_plotly_json()
    return go.layout.Template(
        layout={k: v for k, v in whole["layout"].items() if k not in _UNUSED_LAYOUT},
        data={k: v for k, v in whole["data"].items() if k in _TRACE_TYPES},
    )


def empty_figure(title: str) -> go.Figure:
    """A figure that says there is nothing to draw yet, instead of an error or a blank canvas."""
    figure = go.Figure()
    figure.update_layout(
        title=f"{title}: {NO_DATA}",
        template=template(),
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": NO_DATA,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": 16},
            }
        ],
    )
    return figure


def require_columns(frame: pd.DataFrame, columns: Iterable[str], chart: str) -> None:
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise ValueError(f"{chart} needs the columns {missing}; got {list(frame.columns)}")


def group_labels(frame: pd.DataFrame, keys: Sequence[str]) -> pd.Series:
    """One label per row joining its ``keys`` (``orders / 2``); missing values read ``(none)``. Labels are
    HTML-escaped: Plotly renders some markup in names and hover text, and these values come from users."""
    if not keys:
        return pd.Series("all", index=frame.index, dtype=object)
    parts = [frame[key].map(lambda value: _label(value)) for key in keys]
    label = parts[0]
    for part in parts[1:]:
        label = label + " / " + part
    return label


def is_missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _label(value: object) -> str:
    return MISSING_GROUP if is_missing(value) else html.escape(str(value))


def colour_of(index: int) -> str:
    return GROUP_COLOURS[index % len(GROUP_COLOURS)]


def hover_text(value: object, limit: int = 300) -> str:
    """Text from users (errors, names) made safe for a Plotly hover label, which renders some HTML."""
    text = "" if is_missing(value) else str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text)


def percent_text(rate: float) -> str:
    """A rate as a percentage to a tenth, never rounded to 100 % while something failed (or to 0 % while
    something succeeded)."""
    text = f"{rate:.1%}".replace(".0%", "%")
    if text == "100%" and rate < 1:
        return ">99.9%"
    if text == "0%" and rate > 0:
        return "<0.1%"
    return text
