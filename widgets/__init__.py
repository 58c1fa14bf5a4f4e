"""ipywidgets views over wfb_jupyter's public API (run form, workers, versions, statistics, graph).

Only the magics import this package, and only when a widget is asked for.
"""

from widgets._graph import WorkflowGraph, workflow_graph_svg
from widgets._run_form import RunForm
from widgets._stats_dashboard import StatisticsDashboard, StatisticsSource
from widgets._version_history import ActivationRequest, VersionHistory
from widgets._worker_panel import WorkerPanel

__all__ = [
    "RunForm",
    "WorkerPanel",
    "VersionHistory",
    "ActivationRequest",
    # workflow graph
    "WorkflowGraph",
    "workflow_graph_svg",
    # statistics dashboard
    "StatisticsDashboard",
    "StatisticsSource",
]
