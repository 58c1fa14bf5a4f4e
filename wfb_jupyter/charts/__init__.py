"""Charts: Plotly figures built from the ``wfb_jupyter.statistics`` frames.

Every function returns a ``plotly.graph_objects.Figure`` for the caller to show or customise; none of them
fails on empty data (the figure's title then says "no data yet"). This package imports pandas and plotly:
import it lazily from code that runs when the extension loads.
"""

from wfb_jupyter.charts._aggregates import (
    BOX_PERCENTILES,
    duration_boxes,
    duration_distribution,
    percentiles_over_time,
    retries,
    slowest_components,
    success_rate,
)
from wfb_jupyter.charts._common import (
    COMPLETED_COLOUR,
    FAILED_COLOUR,
    NO_DATA,
    RUNNING_COLOUR,
    empty_figure,
    percent_text,
)
from wfb_jupyter.charts._export import write_charts_html
from wfb_jupyter.charts._timeline import execution_timeline

__all__ = [
    # one execution
    "execution_timeline",
    # many executions
    "BOX_PERCENTILES",
    "duration_boxes",
    "duration_distribution",
    "percentiles_over_time",
    "retries",
    "slowest_components",
    "success_rate",
    # export
    "write_charts_html",
    # conventions
    "COMPLETED_COLOUR",
    "FAILED_COLOUR",
    "NO_DATA",
    "RUNNING_COLOUR",
    "empty_figure",
    "percent_text",
]
