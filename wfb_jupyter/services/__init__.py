"""The services a user holds: projects, versions, runs (with execution handles), workers and statistics, each a
small typed part over storage, builds, workers and executions. ``Workspace`` composes them.

Names load their modules on first use, so that the magics can show results without importing the runtime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wfb_jupyter.services._context import ServiceContext
    from wfb_jupyter.services._errors import (
        NoEarlierVersionError,
        NoLocalWorkerError,
        NoSidecarError,
        ProjectExistsError,
        UnknownProjectError,
        UnknownVersionError,
        UnknownWorkflowNameError,
    )
    from wfb_jupyter.services._handle import ExecutionHandle
    from wfb_jupyter.services._inputs import coerce_form_value, describe_fields, read_value
    from wfb_jupyter.services._naming import declared_name
    from wfb_jupyter.services._problems import definition_problems_message
    from wfb_jupyter.services._projects import Projects
    from wfb_jupyter.services._results import (
        CODE_KINDS,
        COMPONENT_COLUMNS,
        EXECUTION_COLUMNS,
        VERSION_COLUMNS,
        BuildResult,
        CodeDiff,
        ComponentInfo,
        ExecutionSummary,
        ProjectInfo,
        RunOutcome,
        VersionInfo,
        text_table,
    )
    from wfb_jupyter.services._run_graph import RunGraph, StepProgress
    from wfb_jupyter.services._runs import Runs
    from wfb_jupyter.services._statistics_source import Filters, StatisticsSource
    from wfb_jupyter.services._stats import Stats
    from wfb_jupyter.services._test_runs import TestRuns
    from wfb_jupyter.services._versions import Versions
    from wfb_jupyter.services._workers import ACTIVE_WORKER_STATES, Workers

__all__ = [
    # services
    "ServiceContext",
    "Projects",
    "Versions",
    "Runs",
    "TestRuns",
    "Workers",
    "Stats",
    "StatisticsSource",
    "Filters",
    "ExecutionHandle",
    # values they return
    "RunGraph",
    "StepProgress",
    "BuildResult",
    "CodeDiff",
    "ComponentInfo",
    "ExecutionSummary",
    "ProjectInfo",
    "RunOutcome",
    "VersionInfo",
    "ACTIVE_WORKER_STATES",
    "CODE_KINDS",
    # errors
    "NoEarlierVersionError",
    "NoLocalWorkerError",
    "NoSidecarError",
    "ProjectExistsError",
    "UnknownProjectError",
    "UnknownVersionError",
    "UnknownWorkflowNameError",
    # text
    "declared_name",
    "COMPONENT_COLUMNS",
    "EXECUTION_COLUMNS",
    "VERSION_COLUMNS",
    "text_table",
    "definition_problems_message",
    "describe_fields",
    "read_value",
    "coerce_form_value",
]


_MODULES = {
    "ServiceContext": "_context",
    "NoEarlierVersionError": "_errors",
    "NoLocalWorkerError": "_errors",
    "NoSidecarError": "_errors",
    "ProjectExistsError": "_errors",
    "UnknownProjectError": "_errors",
    "UnknownVersionError": "_errors",
    "UnknownWorkflowNameError": "_errors",
    "declared_name": "_naming",
    "ExecutionHandle": "_handle",
    "coerce_form_value": "_inputs",
    "describe_fields": "_inputs",
    "read_value": "_inputs",
    "definition_problems_message": "_problems",
    "Projects": "_projects",
    "Runs": "_runs",
    "RunGraph": "_run_graph",
    "StepProgress": "_run_graph",
    "TestRuns": "_test_runs",
    "Stats": "_stats",
    "StatisticsSource": "_statistics_source",
    "Filters": "_statistics_source",
    "Versions": "_versions",
    "Workers": "_workers",
    "ACTIVE_WORKER_STATES": "_workers",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name, "_results" if name in __all__ else None)
    if module is None:
        raise AttributeError(f"module 'wfb_jupyter.services' has no attribute {name!r}")
    return getattr(importlib.import_module(f"wfb_jupyter.services.{module}"), name)
