"""ipywidgets views over wfb_jupyter's public API (run form, workers, versions, statistics, graph).

Only the magics import this package, when a widget or a graph is asked for; each name loads its module on first
use, so drawing a graph does not load ipywidgets.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wfb_jupyter.widgets._graph import WorkflowGraph, workflow_graph_svg
    from wfb_jupyter.widgets._run_form import RunForm
    from wfb_jupyter.widgets._stats_dashboard import StatisticsDashboard
    from wfb_jupyter.widgets._version_history import ActivationRequest, VersionHistory
    from wfb_jupyter.widgets._worker_panel import WorkerPanel

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
]

_MODULES = {
    "RunForm": "_run_form",
    "WorkerPanel": "_worker_panel",
    "VersionHistory": "_version_history",
    "ActivationRequest": "_version_history",
    "WorkflowGraph": "_graph",
    "workflow_graph_svg": "_graph",
    "StatisticsDashboard": "_stats_dashboard",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'wfb_jupyter.widgets' has no attribute {name!r}")
    return getattr(importlib.import_module(f"wfb_jupyter.widgets.{module}"), name)
